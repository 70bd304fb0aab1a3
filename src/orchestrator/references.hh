#pragma once
// References to another resource's output in attribute values (see Resource in core/domain.hh):
//   {"ref": "<identity key>", "output": "<name>"}                   the output; an error if it has none
//   {"ref": "<identity key>", "output": "<name>", "default": <value>}  or the value when that
//                                                                   resource's provider gives no such output
#include <boost/json.hpp>

namespace fedihost::orchestrator {

/// Whether `o` is such a reference ("ref" and "output" strings, and "default" or nothing else).
inline bool isOutputReference(const boost::json::object& o) {
  const auto* ref = o.if_contains("ref");
  const auto* output = o.if_contains("output");
  return ref && ref->is_string() && output && output->is_string() &&
         (o.size() == 2 || (o.size() == 3 && o.contains("default")));
}

}  // namespace fedihost::orchestrator
