#pragma once
// The "postgresql" database provider: one LOGIN role and one database owned by
// it per resource, on a PostgreSQL server reached with an admin role.
//
// Settings: {"host", "port" (5432), "adminUser", "adminPassword" (may be empty:
// trust or ~/.pgpass), "adminDatabase" ("postgres"), "connectTimeoutMs" (default:
// timeoutMs), "timeoutMs" (statement_timeout, 10 s), "sslmode" (libpq's default),
// "binDir" ("/usr/bin": where pg_dump and pg_restore are), "dumpTimeoutMs" (1 hour)}.
// Data (bundles): pg_dump --format=custom as the admin; pg_restore --no-owner --role=<owner>
// in one transaction into the new database.
// Replication (a migration's, canReplicate): {"replicationUser", "replicationPassword"} (default
// the admin's; PostgreSQL 15 wants a superuser for CREATE PUBLICATION … FOR ALL TABLES and
// CREATE SUBSCRIPTION), {"replicationHost", "replicationPort"} (where another server reaches
// this one; default host and port). The new side's provider loads the old database's schema,
// publishes every table at the old server and subscribes at the new one, all named
// "fedihost_mig_<hash of the identity key>"; finishReplication waits for the slot's
// confirmed_flush_lsn, sets the sequences and drops subscription, slot and publication.
// The admin role is a superuser, or has CREATEROLE and CREATEDB (it then makes
// itself a member of each role it creates, as PostgreSQL requires to own and drop
// that role's database).
//
// Attributes: {"engine": "postgresql", "name": <database>, "owner": <role>,
// "password": sealed secret}. The identity key is kept as the comment of the
// database and of the role (COMMENT ON ...), so that list() finds what a
// deployment holds and an existing database or role is adopted only when its
// comment carries the same key (a role without our key is never touched).
// Nobody but the owner may connect (CONNECT and TEMPORARY revoked from PUBLIC).
// Passwords are sent as SCRAM verifiers computed by libpq, never in clear.
#include <memory>

#include "providers/provider.hh"

namespace fedihost::providers::postgresql {

/// The provider for settings as above; throws AbortError(Invalid "settings.<name>") for bad settings.
std::unique_ptr<DatabaseProvider> makeDatabaseProvider(const ProviderConfig& config);

}  // namespace fedihost::providers::postgresql
