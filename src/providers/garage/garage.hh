#pragma once
// Garage (https://garagehq.deuxfleurs.fr), through its administration API v1
// (Garage 0.9 and 1.x; bearer token): buckets and access keys.
//
// Settings of both: adminUrl ("http://127.0.0.1:3903"), adminToken,
// s3Endpoint (where apps reach Garage's S3 API; given back as the "endpoint"
// output), region ("garage", Garage's default s3_region), timeoutMs.
//
// "garage" (BlobProvider): a bucket is a Garage bucket with the global alias
//   attributes.name, which must start with the deployment's id suffix and "-"
//   (naming::bucketName does so): list() finds a deployment's buckets by their
//   aliases. Optional attributes, applied with UpdateBucket:
//     "quotas": {"maxSize": bytes|null, "maxObjects": n|null}
//     "websiteAccess": {"enabled": bool, "indexDocument": "...", "errorDocument": "..."}
//   "versioning": true is refused: Garage has no bucket versioning.
//   Outputs {"endpoint", "region"}. remove() deletes the bucket; Garage refuses
//   one that holds objects (BucketNotEmpty, a Provider error). storedSize() is
//   GetBucketInfo by id (GET /v1/bucket?id=): Garage's own "bytes" and "objects".
//
// "garage" (AccessKeyProvider): a key imported with ImportKey, so that its
//   secret is the resource's own sealed "secretKey" (Garage takes only 64 hex
//   digits); its id is a fresh "GK" + 24 hex digits and its Garage name the
//   identity key, by which it is found again (GetKeyInfo?search=) and listed.
//   It gets read and write (not owner) on each of attributes.buckets
//   (AllowBucketKey); update() denies the buckets no longer named. Garage
//   cannot change a key's secret: a changed secretKey is a Conflict (replace
//   the key). Outputs {"accessKeyId", "endpoint", "region"}.
#include <memory>

#include "providers/provider.hh"

namespace fedihost::providers::garage {

/// The "garage" bucket provider; throws AbortError(Invalid "settings.<name>") for bad settings.
std::unique_ptr<BlobProvider> makeBlobProvider(const ProviderConfig& config);
/// The "garage" access-key provider; throws AbortError(Invalid "settings.<name>") for bad settings.
std::unique_ptr<AccessKeyProvider> makeAccessKeyProvider(const ProviderConfig& config);

}  // namespace fedihost::providers::garage
