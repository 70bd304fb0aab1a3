#pragma once

namespace fedihost::api {

/// Which pool of handler threads runs a request: credential checks (password
/// hashing) have their own small pool, so a flood of logins cannot stall the rest.
enum class Lane { General, Credentials };

}  // namespace fedihost::api
