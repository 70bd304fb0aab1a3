#include "net/curl_util.hh"

#include <mutex>

namespace fedihost::net {

CurlHandle newCurlHandle() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  return CurlHandle(curl_easy_init());
}

void curlListAppend(CurlList& list, const std::string& item) {
  if (auto* longer = curl_slist_append(list.get(), item.c_str())) {
    list.release();
    list.reset(longer);
  }
}

Error transferError(CURLcode rc, const std::string& what, long timeoutMs) {
  if (rc == CURLE_OPERATION_TIMEDOUT)
    return Error{ErrorKind::Unavailable, what + " timed out after " + std::to_string(timeoutMs) + " ms", {}};
  return Error{ErrorKind::Unavailable, "cannot reach " + what + ": " + curl_easy_strerror(rc), {}};
}

}  // namespace fedihost::net
