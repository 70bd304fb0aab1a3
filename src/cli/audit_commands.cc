// fedihost audit verify (local: reads DATA/accounting.db and the signed head)
// and fedihost audit list (a client of GET /api/v1/audit).
#include <boost/json.hpp>
#include <filesystem>
#include <iostream>

#include "cli/client_support.hh"
#include "cli/commands.hh"
#include "orchestrator/orchestrator.hh"
#include "store/audit_chain.hh"
#include "store/migrations.hh"

namespace fedihost::cli {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

struct VerifyOptions {
  std::string data = "var";
  std::string accounting;  ///< the accounting database's URL; "" = DATA/accounting.db
  bool quiet = false;
};

int runVerify(const VerifyOptions& o) {
  orchestrator::DataDir dir{o.data, {}, "", o.accounting};
  if (o.accounting.empty() && !fs::exists(dir.root / "accounting.db"))
    throw AbortError(Error::notFound("no accounting database in " + dir.root.string()));
  auto conn = store::connect(dir.accountingUrl());
  if (store::latestVersion(store::DatabaseKind::Accounting) >
      conn->queryOne("SELECT coalesce(max(version), 0) FROM schema_migrations")->integer(0))
    throw AbortError(Error::invalid("data", "the accounting database is not migrated: start the server once"));
  store::Transaction snapshot(*conn, false);  // one consistent view while a server appends
  auto rep = store::verifyAuditChain(*conn, dir.auditHeadFile(), dir.auditKeyFile());
  if (rep.ok) {
    if (!o.quiet) {
      std::cout << "audit log intact: " << rep.rows << " rows";
      if (rep.head) std::cout << ", signed head at seq " << rep.head->seq << " (written " << rep.head->at << ")";
      std::cout << "\n";
    }
    return 0;
  }
  std::cout << "audit log NOT intact: ";
  if (rep.badSeq) {
    std::cout << "first bad row: seq " << rep.badSeq;
    if (!rep.badEventId.empty()) std::cout << " (event " << rep.badEventId << ")";
    std::cout << ": ";
  }
  std::cout << rep.why << "\n";
  return 2;
}

}  // namespace

void addAuditCommands(CLI::App& app) {
  auto audit = app.add_subcommand("audit", "The audit log: verify its chain, list its rows");
  audit->require_subcommand(1);

  auto o = std::make_shared<VerifyOptions>();
  auto* v = audit->add_subcommand(
      "verify", "Check the audit log's hash chain and its signed head (exit 0 intact, 2 naming the first bad row)");
  v->add_option("--data", o->data, "data directory")->capture_default_str();
  v->add_option("--accounting", o->accounting, "the accounting database: sqlite:PATH or postgresql://…")
      ->envname("FEDIHOST_ACCOUNTING_URL");
  v->add_flag("-q,--quiet", o->quiet, "print nothing when intact");
  v->callback([o] {
    int rc = runVerify(*o);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });

  struct ListOptions {
    std::string from, to, actor, object, action, organisation;
    int limit = 50;
    bool all = false;
  };
  auto common = std::make_shared<Common>();
  auto lo = std::make_shared<ListOptions>();
  auto* l = audit->add_subcommand("list", "List audit rows, newest first (operators: all; org-admins: their organisation's)");
  addCommonOptions(l, *common);
  l->add_option("--from", lo->from, "from this time (RFC 3339, inclusive)");
  l->add_option("--to", lo->to, "before this time (RFC 3339)");
  l->add_option("--actor", lo->actor, "a user, session or token id");
  l->add_option("--object", lo->object, "an object id");
  l->add_option("--action", lo->action, "an action (\"run.*\" for a prefix)");
  l->add_option("--organisation", lo->organisation, "one organisation's rows");
  l->add_option("--limit", lo->limit, "rows per page")->capture_default_str();
  l->add_flag("--all", lo->all, "every page");
  l->callback([common, lo] {
    std::string q = "/api/v1/audit?limit=" + std::to_string(lo->limit);
    auto add = [&](const char* k, const std::string& v) {
      if (!v.empty()) q += std::string("&") + k + "=" + pathSegment(v);
    };
    add("from", lo->from);
    add("to", lo->to);
    add("actor", lo->actor);
    add("object", lo->object);
    add("action", lo->action);
    add("organisation", lo->organisation);
    auto c = connect(*common);
    json::array items = lo->all ? listAll(*c, q) : itemsOf(expectOk(c->get(q)));
    if (common->output == "json") return printJson(items);
    std::vector<std::vector<std::string>> rows;
    for (auto& r : items) {
      auto who = str(r, "actorId").empty() ? str(r, "actorKind") : str(r, "actorId");
      if (!str(r, "via").empty()) who += " via " + str(r, "via");
      rows.push_back({str(r, "seq"), str(r, "at"), who, str(r, "organisationId"), str(r, "action"),
                      str(r, "objectId"), str(r, "status"), str(r, "outcome")});
    }
    printTable({"SEQ", "AT", "WHO", "ORGANISATION", "WHAT", "OBJECT", "STATUS", "OUTCOME"}, rows);
  });
}

}  // namespace fedihost::cli
