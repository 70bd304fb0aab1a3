#pragma once
// Target configurations for tests. A target names a provider for every kind it needs
// (there is no fallback to files), so tests that keep kinds in files name them.
#include <boost/json.hpp>

#include "core/domain.hh"

namespace fedihost::testing {

/// A target's "providers": `named` as given, and {"implementation": "file"} for every other kind.
inline boost::json::object withFileProviders(boost::json::object named = {}) {
  for (auto kind : allResourceKinds())
    if (!named.contains(toString(kind))) named[toString(kind)] = boost::json::object{{"implementation", "file"}};
  return named;
}

}  // namespace fedihost::testing
