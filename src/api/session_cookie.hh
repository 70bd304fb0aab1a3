#pragma once
// The panel's session cookie: HttpOnly, SameSite=Strict, Secure unless served
// over plain HTTP on loopback.
#include <string>

#include "api/http.hh"

namespace fedihost::api {

inline constexpr const char* kSessionCookie = "fedihost_session";

/// Sets the session cookie (`maxAgeSeconds` 0 clears it).
inline void setSessionCookie(Response& r, const std::string& token, long long maxAgeSeconds, bool secure) {
  r.headers["set-cookie"] = std::string(kSessionCookie) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                            std::to_string(maxAgeSeconds) + (secure ? "; Secure" : "");
}

}  // namespace fedihost::api
