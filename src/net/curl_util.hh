#pragma once
// What the libcurl clients of this module share (HTTP, SMTP): owning handles,
// libcurl's one-time global set-up, and the error a failed transfer means.
#include <curl/curl.h>

#include <memory>
#include <string>

#include "core/result.hh"

namespace fedihost::net {

struct CurlFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct CurlSlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlHandle = std::unique_ptr<CURL, CurlFree>;
using CurlList = std::unique_ptr<curl_slist, CurlSlistFree>;

/// A new easy handle (null if libcurl cannot make one); initialises libcurl once per process.
CurlHandle newCurlHandle();

/// Appends one string to a list (the list stays valid if libcurl runs out of memory).
void curlListAppend(CurlList& list, const std::string& item);

/// The error of a transfer that failed before the server answered: Unavailable
/// (retryable), "`what` timed out after `timeoutMs` ms" or "cannot reach `what`: <reason>".
Error transferError(CURLcode rc, const std::string& what, long timeoutMs);

}  // namespace fedihost::net
