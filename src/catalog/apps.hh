#pragma once
// One function per app, each defined in its own file src/catalog/<id>.cc and
// listed in catalog.cc. Adding an app: write <id>.cc, declare it here, list it.
#include "catalog/catalog.hh"

namespace fedihost::catalog::apps {

App mastodon();
App pixelfed();
App peertube();
App matrix();
App owncast();
App castopod();
App edumeet();
App nextcloud();
App cryptpad();
App forgejo();
App roundcube();
App hedgedoc();
App vikunja();

}  // namespace fedihost::catalog::apps
