#include "api/router.hh"

#include <stdexcept>

namespace fedihost::api {
namespace {

// Segments of a path; string_views into `path`.
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i <= path.size()) {
    auto j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace

void Router::add(Route r) {
  // A route is refused, and the server does not start, unless its declaration is complete.
  const auto& a = r.access;
  bool inOrganisation = a.need == Need::Viewer || a.need == Need::Member || a.need == Need::OrgAdmin;
  if (inOrganisation && a.org == OrgFrom::None)
    throw std::logic_error(r.method + " " + r.pattern + ": a role in an organisation needs OrgFrom");
  if (a.org != OrgFrom::None && r.pattern.find("{" + a.param + "}") == std::string::npos)
    throw std::logic_error(r.method + " " + r.pattern + ": no path parameter {" + a.param + "}");
  if (!r.handler) throw std::logic_error(r.method + " " + r.pattern + ": no handler");
  std::vector<std::string> pat;
  for (auto seg : segments(r.pattern)) pat.emplace_back(seg);
  patterns_.push_back(std::move(pat));
  routes_.push_back(std::move(r));
}

std::optional<std::pair<const Route*, std::map<std::string, std::string>>> Router::match(
    const std::string& method, const std::string& path, bool& methodMismatch) const {
  methodMismatch = false;
  auto want = segments(path);
  for (std::size_t k = 0; k < routes_.size(); ++k) {
    auto& r = routes_[k];
    auto& pat = patterns_[k];
    if (pat.size() != want.size()) continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (std::size_t i = 0; i < pat.size() && ok; ++i) {
      if (pat[i].size() > 2 && pat[i].front() == '{' && pat[i].back() == '}')
        params[pat[i].substr(1, pat[i].size() - 2)] = std::string(want[i]);
      else
        ok = pat[i] == want[i];
    }
    if (!ok) continue;
    if (r.method != method) {
      methodMismatch = true;
      continue;
    }
    return std::make_pair(&r, std::move(params));
  }
  return std::nullopt;
}

}  // namespace fedihost::api
