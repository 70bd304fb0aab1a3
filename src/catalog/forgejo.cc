// Catalog entry: Forgejo, code hosting.
#include "catalog/apps.hh"
#include "catalog/settings_schema.hh"

namespace fedihost::catalog::apps {

App forgejo() {
  App a;
  a.id = "forgejo";
  a.name = "Forgejo";
  a.summary = "Code hosting like GitHub: repositories, issues, pull requests and wikis.";
  a.description =
      "Forgejo is a home for your organisation's code and the work around it, much like GitHub but on your own "
      "server. Developers keep their projects in Git repositories, discuss changes in pull requests, track bugs "
      "and ideas in issues, and write documentation in wikis, all through a web page or their usual Git tools. "
      "You decide who can see each project: everyone, only signed-in members, or only the people you invite. "
      "Forgejo is light enough for a small machine, and it is developed by a community under a non-profit "
      "umbrella, with no paid edition. It suits software teams, open-source projects and anyone who keeps texts "
      "or data under version control.";
  a.upstream = "https://forgejo.org";
  a.licence = "GPL-3.0-or-later";  // since Forgejo 9.0; earlier versions were MIT
  a.openCore = false;
  a.activityPub = false;  // federation between forges is being built upstream but not usable yet
  a.version = "15.0.5";   // long-term support release
  a.defaultSubdomain = "git";
  a.category = "code";
  a.needs = {
      .cpu = 1,
      .memoryMiB = 2048,
      .diskGiB = 20,  // the Git repositories themselves stay on the machine's disk
      .databases = {"postgresql"},
      .buckets =
          {
              {"attachments", "files and pictures attached to issues, pull requests and releases"},
              {"lfs", "large files kept with Git LFS, such as design files, videos and data sets"},
          },
      .mail = true,   // notifications, sign-up confirmation and password resets
      .redis = false, // Forgejo's own cache and queues are enough for a small server
      .ports = {443, 2222},  // 2222: Git over SSH (port 22 stays with the machine's own SSH)
      // What the nixpkgs module would otherwise generate in its custom folder (forgejo-secrets).
      .secrets = {{"secret-key", secrets::SecretFormat::Hex,
                   "its SECRET_KEY, which encrypts two-factor secrets and stored credentials"},
                  {"internal-token", secrets::SecretFormat::Hex,
                   "the INTERNAL_TOKEN its Git hooks and SSH server use to call it"},
                  {"jwt-secret", secrets::SecretFormat::Base64Url,
                   "the key its OAuth2 provider signs tokens with (JWT_SECRET)"},
                  {"lfs-jwt-secret", secrets::SecretFormat::Base64Url,
                   "the key that signs Git LFS transfer tokens (LFS_JWT_SECRET)"},
                  {"admin-password", secrets::SecretFormat::Hex,
                   "the password of Forgejo's first administrator, \"administrator\", made once when Forgejo "
                   "first runs",
                   {},
                   true}},
  };
  // nix/apps/forgejo.nix makes the account with `forgejo admin user create` (fedihost-forgejo-admin).
  a.adminLogin = AdminLogin{.username = "administrator", .passwordSecret = "admin-password", .loginPath = "/user/login"};
  a.settingsSchema = schema::objectSchema({
      {"subdomain", schema::subdomainProperty(a.name, a.defaultSubdomain)},
      {"enableRegistration",
       schema::booleanProperty("Open sign-up",
                               "Let anyone create an account. Off: only administrators create accounts. Open code "
                               "hosting attracts spam accounts and repositories, so leave this off unless someone "
                               "checks new accounts.",
                               false)},
      {"requireSignInToView",
       schema::booleanProperty("Members only",
                               "Only signed-in people can see anything on the server, even projects marked public.",
                               false)},
      {"defaultRepoVisibility",
       schema::enumProperty("Visibility of new projects",
                            "Whether a new repository is visible to everyone (public) or only to the people given "
                            "access (private) until its owner changes it.",
                            "private", {"private", "public"})},
      {"quotaPerAccountMiB",
       schema::integerProperty("Storage per account (MiB)",
                               "How much space the repositories, attachments and large files of one person or "
                               "organisation may take, in mebibytes.",
                               2048, 100, 102400)},
  });
  a.swot = {
      .strengths =
          {
              "It works like GitHub (repositories, issues, pull requests, wikis and releases), so developers feel "
              "at home quickly.",
              "It is light: a small machine serves a whole team comfortably.",
              "It is run by a community under a non-profit umbrella, and its copyleft licence keeps it free "
              "software with no paid edition.",
          },
      .weaknesses =
          {
              "Automatic builds and tests (Forgejo Actions) need separate runner machines, which this offer does "
              "not include.",
              "Outside contributors need an account on your server first, which is one more step than on GitHub.",
              "Federation with other forges is still being built, so for now each server stands alone.",
          },
      .opportunities =
          {
              "Repositories, issues and wikis can be imported from GitHub, GitLab and Gitea, which makes moving "
              "easy.",
              "Mirroring can keep a copy on GitHub for visibility while the work happens on your own server.",
          },
      .threats =
          {
              "Open sign-up on code hosting attracts spam accounts and repositories.",
              "Large files and build results can fill storage quickly unless quotas are set.",
          },
  };
  a.backup = {
      .databases = {"postgresql"},
      .paths = {"/var/lib/forgejo/repositories", "/var/lib/forgejo/custom", "/var/lib/forgejo/data"},
      .buckets = {"attachments", "lfs"},
      .stopForConsistency = true,
      .notes = "Repositories live on disk and issues, pull requests and accounts in the database; the two only "
               "match if Forgejo is stopped while both are copied (or if the copy is made with `forgejo dump`). "
               "Stopping takes Forgejo offline for the length of the copy, usually a few minutes. Its secrets "
               "(the key behind two-factor settings, the keys that sign its tokens) are the deployment's "
               "encrypted secrets and come back with every restore.",
  };
  return a;
}

}  // namespace fedihost::catalog::apps
