#pragma once
// Object storage over the S3 API.
//
// "s3" (BlobProvider): buckets on any S3 server, as one admin identity.
//   Settings: endpoint ("http://127.0.0.1:8080"), region ("us-east-1"),
//   accessKeyId, secretAccessKey, pathStyle (true), timeoutMs, listMaxKeys
//   (1000: objects per page of a listing).
//   Attributes: {"name", "purpose", optional "versioning": bool}; outputs
//   {"endpoint", "region"}. read() gives {"name", "versioning"}.
//   storedSize() sums the sizes of ListObjectsV2, page by page (continuation
//   tokens): the current versions only (older versions of a versioned bucket
//   and unfinished multipart uploads are not counted).
//   Ownership: a bucket's name must start with the deployment's id suffix and
//   "-" (naming::bucketName does so); create() also tags it
//   "fedihost-key" = identity key where the server has bucket tagging (Swift's
//   s3api has not: it answers NotImplemented). list() takes the key from that
//   tag, else from the name: "<suffix>-<resource name>".
//   remove() deletes the bucket; a bucket that still holds objects is refused
//   by the server (BucketNotEmpty, a Provider error) and kept.
//
// "swift-tempauth" (AccessKeyProvider): per-app S3 credentials on an OpenStack
//   Swift proxy with the tempauth and s3api middlewares, on the same host.
//   Each access key is a tempauth user "<account>:<suffix>-<name>" with no
//   groups (not an account admin): its S3 access key id is that string and its
//   secret the resource's sealed "secretKey". The provider owns one file of
//   the proxy's configuration directory (proxy-server.conf.d/<usersFile>),
//   where it writes the users, each after a comment holding its identity key
//   (that is what list() reads), and signals the proxy with SIGUSR1, Swift's
//   seamless reload (it re-executes itself in place, same PID, with the new
//   configuration; SIGHUP would only stop it gracefully); then it waits until
//   the proxy answers the change. Reloads are serialised by a lock file.
//   Access to buckets: S3 bucket ACLs (s3api with s3_acl = true) granting READ
//   and WRITE to the user's canonical id, set with the admin's keys. Swift
//   container ACLs (X-Container-Read/Write) would serve too, but setting them
//   through the Swift API takes a tempauth token, which tempauth keeps in
//   memcached only; s3api has no S3 call that sets a user's container ACL.
//   Tempauth keeps the secret in clear in its configuration: the users file is
//   written with mode 0600.
//   Settings: endpoint, region, accessKeyId and secretAccessKey (the admin's,
//   in `account`), account, proxyConfigDir, proxyPidFile, usersFile
//   ("90-fedihost-access-keys.conf"), reloadTimeoutMs (30000), timeoutMs.
//   Attributes: {"name", "buckets": [bucket names], "secretKey": sealed};
//   outputs {"accessKeyId", "endpoint", "region"}.
#include <memory>
#include <string>
#include <string_view>

#include "providers/provider.hh"

namespace fedihost::providers::s3 {

/// The "s3" bucket provider; throws AbortError(Invalid "settings.<name>") for bad settings.
std::unique_ptr<BlobProvider> makeBlobProvider(const ProviderConfig& config);
/// The "swift-tempauth" access-key provider; throws AbortError(Invalid "settings.<name>") for bad settings.
std::unique_ptr<AccessKeyProvider> makeSwiftTempauthAccessKeyProvider(const ProviderConfig& config);

/// The identity key a bucket name stands for in a deployment, when it follows
/// naming::bucketName ("<id suffix>-<resource name>"); "" if it does not.
std::string bucketKeyFromName(std::string_view deployment, std::string_view bucket);
/// Checks a bucket name as S3 takes it (3 to 63 of a-z, 0-9, "-", ".", starting
/// and ending with a letter or digit); Invalid naming `field` otherwise.
Result<void> checkBucketName(std::string_view name, const std::string& field);

}  // namespace fedihost::providers::s3
