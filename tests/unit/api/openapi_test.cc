// The OpenAPI document (src/api/openapi.json, embedded in the binary) against
// the routes it describes: every route documented, nothing documented that is
// not a route, every $ref resolvable, the public routes and only they without
// a token, the request patterns the same rules as input.cc, and the response
// schemas the same members as json_mapping.cc writes.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "api/deployment_status.hh"
#include "api/input.hh"
#include "api/json_mapping.hh"
#include "api/router.hh"
#include "catalog/catalog.hh"
#include "core/embedded.hh"

namespace fedihost::api {
namespace {

namespace json = boost::json;

const std::set<std::string> kMethods{"get", "put", "post", "delete", "options", "head", "patch", "trace"};
const std::set<std::pair<std::string, std::string>> kPublic{{"GET", "/api/v1/health"},
                                                             {"GET", "/api/v1/openapi.json"},
                                                             {"GET", "/api/v1/auth/options"},
                                                             {"POST", "/api/v1/auth/login"},
                                                             {"POST", "/api/v1/auth/signup"},
                                                             {"POST", "/api/v1/auth/password-reset"},
                                                             {"POST", "/api/v1/auth/password-reset/confirm"},
                                                             {"POST", "/api/v1/invitations/inspect"},
                                                             {"POST", "/api/v1/invitations/accept"}};

std::string str(const json::value& v) { return std::string(v.as_string().data(), v.as_string().size()); }

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// The embedded document, parsed once; a failure fails the tests that use it.
const json::value& root() {
  static const json::value d = [] {
    auto text = embedded::find("api/openapi.json");
    if (!text) throw std::runtime_error("api/openapi.json is not embedded");
    boost::system::error_code ec;
    auto v = json::parse(*text, ec);
    if (ec) throw std::runtime_error("api/openapi.json does not parse: " + ec.message());
    if (!v.is_object()) throw std::runtime_error("api/openapi.json is not a JSON object");
    return v;
  }();
  return d;
}

const json::object& doc() { return root().as_object(); }

const json::object& paths() { return doc().at("paths").as_object(); }

/// Resolves a local reference ("#/components/schemas/Run") as a JSON pointer; nullptr if it does not.
const json::value* resolve(const std::string& ref) {
  if (!ref.starts_with("#/")) return nullptr;
  boost::system::error_code ec;
  auto* found = root().find_pointer(ref.substr(1), ec);
  return ec ? nullptr : found;
}

/// A value with its $ref followed (one level per call, repeated until none).
const json::value& deref(const json::value& v) {
  const json::value* cur = &v;
  for (int i = 0; i < 10 && cur->is_object() && cur->as_object().contains("$ref"); ++i) {
    auto* next = resolve(str(cur->as_object().at("$ref")));
    if (!next) return *cur;
    cur = next;
  }
  return *cur;
}

/// Every "$ref" string in the document, with the JSON path where it was found.
void collectRefs(const json::value& v, const std::string& at, std::vector<std::pair<std::string, std::string>>& out) {
  if (v.is_object()) {
    for (auto& kv : v.as_object()) {
      std::string key(kv.key());
      if (key == "$ref" && kv.value().is_string())
        out.emplace_back(str(kv.value()), at);
      else
        collectRefs(kv.value(), at + "/" + key, out);
    }
  } else if (v.is_array()) {
    for (std::size_t i = 0; i < v.as_array().size(); ++i)
      collectRefs(v.as_array()[i], at + "/" + std::to_string(i), out);
  }
}

/// Calls f(pattern, method, operation) for every operation of the document.
void forEachOperation(const std::function<void(const std::string&, const std::string&, const json::object&)>& f) {
  for (auto& path : paths())
    for (auto& kv : path.value().as_object())
      if (kMethods.contains(std::string(kv.key())))
        f(std::string(path.key()), std::string(kv.key()), kv.value().as_object());
}

const json::object* operation(const std::string& pattern, const std::string& method) {
  auto* item = paths().if_contains(pattern);
  if (!item || !item->is_object()) return nullptr;
  auto* op = item->as_object().if_contains(lower(method));
  return op && op->is_object() ? &op->as_object() : nullptr;
}

std::set<std::string> keys(const json::object& o) {
  std::set<std::string> out;
  for (auto& kv : o) out.insert(std::string(kv.key()));
  return out;
}

// (1)
TEST(OpenApi, DocumentIsEmbeddedAndIsOpenApi31) {
  auto text = embedded::find("api/openapi.json");
  ASSERT_TRUE(text.has_value()) << "api/openapi.json is not embedded (cmake/embed.cmake)";
  boost::system::error_code ec;
  auto v = json::parse(*text, ec);
  ASSERT_FALSE(ec) << "api/openapi.json does not parse: " << ec.message();
  ASSERT_TRUE(v.is_object());
  auto& d = v.as_object();
  ASSERT_TRUE(d.contains("openapi") && d.at("openapi").is_string());
  EXPECT_TRUE(str(d.at("openapi")).starts_with("3.1")) << str(d.at("openapi"));
  ASSERT_TRUE(d.contains("info"));
  EXPECT_EQ(str(d.at("info").at("title")), "fedihost API");
  EXPECT_FALSE(str(d.at("info").at("version")).empty());
  EXPECT_FALSE(str(d.at("info").at("description")).empty());
  ASSERT_TRUE(d.contains("paths") && d.at("paths").is_object());
  ASSERT_TRUE(d.contains("components") && d.at("components").is_object());
  auto& scheme = d.at("components").at("securitySchemes").at("bearerAuth").as_object();
  EXPECT_EQ(str(scheme.at("type")), "http");
  EXPECT_EQ(str(scheme.at("scheme")), "bearer");
  EXPECT_EQ(json::serialize(d.at("security")), R"([{"bearerAuth":[]}])");
}

// (2)
TEST(OpenApi, EveryRouteIsDocumented) {
  auto router = makeRouter();
  ASSERT_FALSE(router.routes().empty());
  for (auto& r : router.routes())
    EXPECT_NE(operation(r.pattern, r.method), nullptr)
        << r.method << " " << r.pattern << " (" << r.summary << ") is missing from src/api/openapi.json";
}

// (3)
TEST(OpenApi, EveryDocumentedOperationIsARoute) {
  std::set<std::pair<std::string, std::string>> routes;
  auto router = makeRouter();
  for (auto& r : router.routes()) routes.emplace(lower(r.method), r.pattern);
  for (auto& path : paths()) {
    ASSERT_TRUE(path.value().is_object()) << path.key();
    bool any = false;
    for (auto& kv : path.value().as_object()) {
      std::string key(kv.key());
      if (!kMethods.contains(key)) {
        EXPECT_TRUE(key == "parameters" || key == "summary" || key == "description")
            << "unexpected member " << key << " of path " << path.key();
        continue;
      }
      any = true;
      EXPECT_TRUE(routes.contains({key, std::string(path.key())}))
          << key << " " << path.key() << " is documented but is not a route in routes.cc";
    }
    EXPECT_TRUE(any) << "path " << path.key() << " has no operation";
  }
}

// (4)
TEST(OpenApi, EveryRefResolves) {
  std::vector<std::pair<std::string, std::string>> refs;
  collectRefs(root(), "#", refs);
  ASSERT_FALSE(refs.empty());
  std::set<std::string> used;
  for (auto& [ref, at] : refs) {
    EXPECT_TRUE(ref.starts_with("#/components/")) << at << ": " << ref << " does not point into components";
    if (ref.starts_with("#/components/schemas/")) {
      EXPECT_TRUE(doc().at("components").at("schemas").as_object().contains(ref.substr(21)))
          << at << ": no schema " << ref;
    }
    EXPECT_NE(resolve(ref), nullptr) << at << ": " << ref << " does not resolve";
    used.insert(ref);
  }
  // And nothing in components is dead weight.
  for (const char* kind : {"schemas", "parameters", "responses", "headers"}) {
    auto* section = doc().at("components").as_object().if_contains(kind);
    if (!section) continue;
    for (auto& kv : section->as_object()) {
      std::string ref = std::string("#/components/") + kind + "/" + std::string(kv.key());
      EXPECT_TRUE(used.contains(ref)) << ref << " is never used";
    }
  }
}

// (5)
TEST(OpenApi, OnlyThePublicRoutesWaiveTheToken) {
  auto router = makeRouter();
  std::set<std::pair<std::string, std::string>> publicRoutes;
  for (auto& r : router.routes()) {
    bool authenticated = r.access.need != Need::Anyone;
    if (!authenticated) publicRoutes.emplace(r.method, r.pattern);
    auto* op = operation(r.pattern, r.method);
    if (!op) continue;  // reported by EveryRouteIsDocumented
    auto* security = op->if_contains("security");
    if (authenticated) {
      EXPECT_TRUE(security == nullptr || !security->as_array().empty())
          << r.method << " " << r.pattern << " needs a token but its operation has security: []";
      EXPECT_TRUE(op->at("responses").as_object().contains("401")) << r.method << " " << r.pattern << " lacks a 401";
    } else {
      ASSERT_NE(security, nullptr) << r.method << " " << r.pattern << " is public but has no security: []";
      EXPECT_TRUE(security->is_array() && security->as_array().empty())
          << r.method << " " << r.pattern << " is public but its security is " << json::serialize(*security);
    }
  }
  EXPECT_EQ(publicRoutes, kPublic) << "the public routes changed: update openapi.json, docs/api.md and this test";
}

TEST(OpenApi, OperationsHaveIdsSummariesTagsAndTypedResponses) {
  std::set<std::string> ids;
  std::set<std::string> tags;
  for (auto& t : doc().at("tags").as_array()) tags.insert(str(t.at("name")));
  forEachOperation([&](const std::string& pattern, const std::string& method, const json::object& op) {
    std::string name = method + " " + pattern;
    ASSERT_TRUE(op.contains("operationId")) << name;
    EXPECT_TRUE(ids.insert(str(op.at("operationId"))).second) << name << ": duplicate operationId";
    EXPECT_FALSE(str(op.at("summary")).empty()) << name;
    ASSERT_TRUE(op.contains("tags") && !op.at("tags").as_array().empty()) << name;
    for (auto& t : op.at("tags").as_array()) EXPECT_TRUE(tags.contains(str(t))) << name << ": undeclared tag " << t;
    ASSERT_TRUE(op.contains("responses")) << name;
    bool success = false;
    for (auto& kv : op.at("responses").as_object()) {
      std::string code(kv.key());
      const auto& response = deref(kv.value()).as_object();
      EXPECT_FALSE(str(response.at("description")).empty()) << name << " " << code;
      if (code.starts_with("2")) {
        success = true;
        EXPECT_TRUE(response.contains("content")) << name << " " << code << " has no content";
      } else if (code.starts_with("4") || code.starts_with("5")) {
        auto* content = response.if_contains("content");
        ASSERT_NE(content, nullptr) << name << " " << code;
        auto* problem = content->as_object().if_contains("application/problem+json");
        ASSERT_NE(problem, nullptr) << name << " " << code << " is not application/problem+json";
        EXPECT_EQ(json::serialize(problem->at("schema")), R"({"$ref":"#/components/schemas/Problem"})")
            << name << " " << code;
      }
    }
    EXPECT_TRUE(success) << name << " has no 2xx response";
    // A body-less method documents no body; a method that reads one documents its errors.
    if (auto* body = op.if_contains("requestBody")) {
      EXPECT_TRUE(method == "post" || method == "patch" || method == "put") << name;
      for (const char* code : {"400", "413", "415"})
        EXPECT_TRUE(op.at("responses").as_object().contains(code)) << name << " reads a body but lacks " << code;
      EXPECT_TRUE(deref(*body).as_object().at("content").as_object().contains("application/json")) << name;
    }
  });
  EXPECT_EQ(ids.size(), makeRouter().routes().size());
}

TEST(OpenApi, PathParametersAreDeclared) {
  forEachOperation([&](const std::string& pattern, const std::string& method, const json::object& op) {
    std::set<std::string> inPattern;
    static const std::regex param(R"(\{([^}]+)\})");
    for (std::sregex_iterator it(pattern.begin(), pattern.end(), param), end; it != end; ++it)
      inPattern.insert((*it)[1].str());
    std::set<std::string> declared;
    for (auto* list : {paths().at(pattern).as_object().if_contains("parameters"), op.if_contains("parameters")}) {
      if (!list) continue;
      for (auto& p : list->as_array()) {
        const auto& param = deref(p).as_object();
        if (str(param.at("in")) != "path") continue;
        EXPECT_TRUE(param.contains("required") && param.at("required").as_bool()) << method << " " << pattern;
        declared.insert(str(param.at("name")));
      }
    }
    EXPECT_EQ(declared, inPattern) << method << " " << pattern;
  });
  // Paged lists take limit and cursor; PATCH takes If-Match.
  for (auto& [method, pattern, wanted] : std::vector<std::tuple<std::string, std::string, std::vector<std::string>>>{
           {"get", "/api/v1/organisations", {"limit", "cursor"}},
           {"get", "/api/v1/deployments", {"organisation", "limit", "cursor"}},
           {"get", "/api/v1/deployments/{id}/runs", {"limit", "cursor"}},
           {"patch", "/api/v1/deployments/{id}", {"If-Match"}}}) {
    auto* op = operation(pattern, method);
    ASSERT_NE(op, nullptr) << method << " " << pattern;
    std::set<std::string> names;
    for (auto& p : op->at("parameters").as_array()) names.insert(str(deref(p).at("name")));
    for (auto& w : wanted) EXPECT_TRUE(names.contains(w)) << method << " " << pattern << " lacks " << w;
  }
}

const json::object& schema(const std::string& name) {
  return doc().at("components").at("schemas").at(name).as_object();
}

std::string pattern(const std::string& schemaName, const std::string& property) {
  return str(schema(schemaName).at("properties").at(property).at("pattern"));
}

TEST(OpenApi, RequestPatternsFollowTheInputRules) {
  EXPECT_EQ(pattern("DeploymentCreate", "name"), "^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$");
  std::regex name(pattern("DeploymentCreate", "name"), std::regex::ECMAScript);
  for (const std::string& s :
       std::vector<std::string>{"a", "social", "my-site-2", "0", std::string(32, 'a'), std::string(33, 'a'), "-a", "a-",
                                "", "Social", "a_b", "a.b", "ab-"}) {
    bool accepted = input::checkDeploymentName(s, "name").ok();
    EXPECT_EQ(std::regex_search(s, name), accepted) << "name \"" << s << "\": input.cc says " << accepted;
  }
  std::regex domain(pattern("DeploymentCreate", "domain"), std::regex::ECMAScript);
  EXPECT_EQ(pattern("DeploymentPatch", "domain"), pattern("DeploymentCreate", "domain"));
  for (const std::string& s : std::vector<std::string>{
           "example.org", "a.b", "social.example.org", "x-1.example.co.uk", "example.1a", "1.2.3.4", "example",
           "Example.org", "example..org", ".example.org", "example.org.", "-a.org", "a-.org", "a.o-rg", "ex_ample.org",
           "example.123", std::string(63, 'a') + ".org", std::string(64, 'a') + ".org", ""}) {
    bool accepted = input::checkDomain(s, "domain").ok();
    EXPECT_EQ(std::regex_search(s, domain), accepted) << "domain \"" << s << "\": input.cc says " << accepted;
  }
  EXPECT_EQ(schema("DeploymentCreate").at("properties").at("domain").at("maxLength").as_int64(), 253);
  std::regex slug(pattern("OrganisationCreate", "name"), std::regex::ECMAScript);
  for (const std::string& s : std::vector<std::string>{"acme", "a", "riverside-2", std::string(32, 'a'), std::string(33, 'a'),
                                                       "Acme", "9lives", "-a", "a/b", "a b", "", "Riverside School!"}) {
    bool accepted = input::checkOrganisationSlug(s, "name").ok();
    EXPECT_EQ(std::regex_search(s, slug), accepted) << "short name \"" << s << "\": input.cc says " << accepted;
  }
  std::regex org(pattern("OrganisationCreate", "displayName"), std::regex::ECMAScript);
  for (const std::string& s :
       std::vector<std::string>{"Acme", "Acme Social e.V.", " a ", "", "   ", "\t", "a\tb", "a\nb", "x\x7f"}) {
    bool accepted = input::checkOrganisationName(s, "name").ok();
    EXPECT_EQ(std::regex_search(s, org), accepted) << "organisation name \"" << s << "\": input.cc says " << accepted;
  }
  // The members a body may have are the ones the handlers accept.
  auto required = [](const std::string& s) {
    std::set<std::string> out;
    for (auto& r : schema(s).at("required").as_array()) out.insert(str(r));
    return out;
  };
  EXPECT_EQ(required("DeploymentCreate"), (std::set<std::string>{"name", "domain", "apps"}));
  EXPECT_EQ(keys(schema("DeploymentCreate").at("properties").as_object()),
            (std::set<std::string>{"name", "domain", "apps", "target"}));
  EXPECT_EQ(keys(schema("DeploymentPatch").at("properties").as_object()), (std::set<std::string>{"domain", "apps"}));
  EXPECT_EQ(required("LoginRequest"), (std::set<std::string>{"email", "password"}));
  EXPECT_EQ(required("OrganisationCreate"), (std::set<std::string>{"name"}));
  auto& limit = doc().at("components").at("parameters").at("Limit").at("schema").as_object();
  EXPECT_EQ(limit.at("minimum").as_int64(), 1);
  EXPECT_EQ(limit.at("maximum").as_int64(), 200);
  EXPECT_EQ(limit.at("default").as_int64(), input::Paging{}.limit);
}

/// Checks that `value` has every required member of the schema and no member it does not describe.
void expectShape(const std::string& schemaName, const json::object& value) {
  const auto& s = schema(schemaName);
  auto described = keys(s.at("properties").as_object());
  for (auto& k : keys(value))
    EXPECT_TRUE(described.contains(k)) << schemaName << ": json_mapping writes \"" << k << "\", not in the schema";
  for (auto& r : s.at("required").as_array())
    EXPECT_TRUE(value.contains(str(r).c_str())) << schemaName << ": \"" << str(r) << "\" is required, not written";
}

TEST(OpenApi, ResponseSchemasDescribeWhatTheMappingWrites) {
  expectShape("Organisation", mapping::toJson(Organisation{"org_x", "acme", "Acme", "2026-11-25T13:00:00Z"}));
  expectShape("User", mapping::toJson(User{"usr_x", "a@example.org", true, false, true, "2026-11-25T13:00:00Z"}));
  Session ses{"ses_x", "usr_x", false, "sign-in", {Scope::Read}, "", "2026-11-25T13:00:00Z", "", "", 0, "127.0.0.1", "curl"};
  expectShape("Session", mapping::toJson(ses, true));
  ses.isToken = true;
  expectShape("Session", mapping::toJson(ses));
  store::Invitation inv{"inv_x", "org_x", "a@example.org", Role::Viewer, "usr_x", "2026-11-25T13:00:00Z",
                        "2026-12-02T13:00:00Z", "", "", ""};
  expectShape("Invitation", mapping::toJson(inv, "2026-11-26T00:00:00Z"));
  expectShape("Domain", mapping::toJson(store::OrganisationDomain{"org_x", "school.example", "c", "2026-11-25T13:00:00Z", ""}));
  expectShape("Member", mapping::toJson(store::Member{User{"usr_x", "a@example.org"}, Role::Member}));
  Resource res{"dep_x/database/mastodon", ResourceKind::Database, "dep_x", "mastodon", {{"a", 1}},
               {"dep_x/machine/main"}};
  expectShape("Resource", mapping::toJson(res));
  Plan plan{"dep_x", {PlanAction{ActionKind::Create, res, "not yet created"}}};
  auto planJson = mapping::toJson(plan);
  expectShape("Plan", planJson);
  expectShape("PlanAction", planJson.at("actions").as_array().at(0).as_object());
  expectShape("RunStep", mapping::toJson(RunStep{1,
                                                 ActionKind::Create,
                                                 res.key,
                                                 ResourceKind::Database,
                                                 StepStatus::Running,
                                                 "",
                                                 "2026-11-25T13:00:00Z",
                                                 "",
                                                 {}}));
  fedihost::Run run{"run_x", "dep_x", RunKind::Apply, RunStatus::Running, "", "2026-11-25T13:00:00Z", "", "", 0, 1, {}};
  expectShape("Run", mapping::toJson(run));
  run.steps.push_back(
      RunStep{1, ActionKind::Create, res.key, ResourceKind::Database, StepStatus::Pending, "", "", "", {}});
  expectShape("Run", mapping::toJson(run));
  SavedPlan saved{"plan_x", "dep_x", {}, plan.actions, "2026-11-25T13:00:00Z", ""};
  auto savedJson = mapping::toJson(saved, plan);
  for (auto& member : {"id", "createdAt", "appliedBy", "actions", "summary", "empty", "deployment"})
    EXPECT_TRUE(savedJson.contains(member)) << member;
  Drift drift{"dep_x/bucket/media", "dep_x", DriftStatus::Missing, "missing at provider", "2026-11-25T13:00:00Z"};
  auto driftJson = mapping::driftJson("dep_x", "2026-11-25T13:00:00Z", {drift}, {"x: timed out"});
  expectShape("DriftStatus", driftJson);
  expectShape("Drift", driftJson.at("resources").as_array().at(0).as_object());
  auto* app = catalog::find("mastodon");
  ASSERT_NE(app, nullptr);
  Deployment d;
  d.id = "dep_x";
  d.organisation = "org_x";
  d.name = "social";
  d.domain = "example.org";
  d.apps.push_back({"mastodon", catalog::validateSettings(*app, json::value(nullptr), "settings").value(), {}, 0});
  for (auto& last : {std::optional<fedihost::Run>{}, std::optional<fedihost::Run>{run}}) {
    auto dj = mapping::toJson(d, last);
    expectShape("Deployment", dj);
    expectShape("DeploymentApp", dj.at("apps").as_array().at(0).as_object());
  }
  for (auto& a : catalog::all()) {
    auto aj = catalog::toJson(a);
    expectShape("App", aj);
    expectShape("AppNeeds", aj.at("needs").as_object());
    expectShape("SettingsSchema", aj.at("settingsSchema").as_object());
    for (auto& p : aj.at("settingsSchema").at("properties").as_object())
      expectShape("SettingProperty", p.value().as_object());
  }
  // Enumerations hold every value the mapping can write.
  auto enumOf = [](const std::string& s) {
    std::set<std::string> out;
    for (auto& v : schema(s).at("enum").as_array()) out.insert(str(v));
    return out;
  };
  for (auto r : {Role::Operator, Role::OrgAdmin, Role::Member, Role::Viewer})
    EXPECT_TRUE(enumOf("Role").contains(std::string(toString(r)))) << toString(r);
  for (auto k : allResourceKinds())
    EXPECT_TRUE(enumOf("ResourceKind").contains(std::string(toString(k)))) << toString(k);
  // A deployment's status is the presented one (api/deployment_status.hh), not the stored enum.
  std::set<std::string> presented;
  for (auto s : presentedStatuses()) presented.insert(std::string(s));
  EXPECT_EQ(enumOf("DeploymentStatus"), presented);
  for (auto s :
       {StepStatus::Pending, StepStatus::Running, StepStatus::Succeeded, StepStatus::Failed, StepStatus::Skipped})
    EXPECT_TRUE(enumOf("StepStatus").contains(std::string(toString(s)))) << toString(s);
  for (auto s : {RunStatus::Queued, RunStatus::Running, RunStatus::Succeeded, RunStatus::Failed, RunStatus::Cancelled})
    EXPECT_TRUE(enumOf("RunStatus").contains(std::string(toString(s)))) << toString(s);
  for (auto a : {ActionKind::Create, ActionKind::Update, ActionKind::Replace, ActionKind::Delete, ActionKind::Noop})
    EXPECT_TRUE(enumOf("ActionKind").contains(std::string(toString(a)))) << toString(a);
}

TEST(OpenApi, ProblemAndEventStreamAreDescribed) {
  auto described = keys(schema("Problem").at("properties").as_object());
  EXPECT_EQ(described, (std::set<std::string>{"type", "title", "status", "detail", "field", "errors", "totp"}));
  auto* stream = operation("/api/v1/runs/{id}/events", "GET");
  ASSERT_NE(stream, nullptr);
  auto& events = deref(stream->at("responses").at("200")).as_object();
  ASSERT_TRUE(events.at("content").as_object().contains("text/event-stream"));
  auto description = str(events.at("description"));
  EXPECT_NE(description.find("event: step"), std::string::npos);
  EXPECT_NE(description.find("event: run"), std::string::npos);
}

}  // namespace
}  // namespace fedihost::api
