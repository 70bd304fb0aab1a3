// Catalog entry: Vikunja, project planning.
//
// Why Vikunja for "project planning": it is free software (AGPL-3.0-or-later)
// with no paid enterprise edition, unlike OpenProject, whose Enterprise edition
// keeps features for paying customers. It covers what a small team plans with
// (lists, kanban boards, Gantt charts and tables, with due dates, reminders,
// labels and sharing) without the weight of a full project-management suite.
// NixOS has a maintained services.vikunja module, and it is a single small
// program with a PostgreSQL database, cheap to run for small organisations.
#include "catalog/apps.hh"
#include "catalog/settings_schema.hh"

namespace fedihost::catalog::apps {

App vikunja() {
  App a;
  a.id = "vikunja";
  a.name = "Vikunja";
  a.summary = "Plan projects and tasks as lists, kanban boards or Gantt charts.";
  a.description =
      "Vikunja keeps your team's projects and tasks in one place: who does what, by when, and what is done. "
      "Each person can look at the same project as a simple to-do list, a kanban board with columns such as "
      "\"to do\", \"doing\" and \"done\", a Gantt chart of dates, or a table. Tasks can have due dates, "
      "reminders by e-mail, labels, files and comments, and projects can be shared with colleagues or through a "
      "link. It replaces spreadsheets and sticky notes for schools, associations and small teams, without the "
      "complexity of large project-management software.";
  a.upstream = "https://vikunja.io";
  a.licence = "AGPL-3.0-or-later";
  a.openCore = false;
  a.activityPub = false;
  a.version = "2.4.0";
  a.defaultSubdomain = "tasks";
  a.category = "planning";
  a.needs = {
      .cpu = 1,
      .memoryMiB = 1024,
      .diskGiB = 10,
      .databases = {"postgresql"},
      .buckets = {},  // attached files stay on the machine's disk
      .mail = true,   // reminders, overdue-task notices and password resets
      .redis = false,
      .ports = {443},
      .secrets = {{"jwt-secret", secrets::SecretFormat::Hex,
                   "the secret Vikunja signs its login tokens (JWT) with"}},
  };
  a.settingsSchema = schema::objectSchema({
      {"subdomain", schema::subdomainProperty(a.name, a.defaultSubdomain)},
      {"enableRegistration",
       schema::booleanProperty("Open sign-up",
                               "Let anyone who knows the address create an account. Turn it off once your team has "
                               "signed up.",
                               true)},
      {"defaultTimezone",
       schema::patternProperty("Time zone",
                               "The time zone used for due dates and reminders until a person picks their own, "
                               "written as a region and a city, for example Europe/Amsterdam or America/New_York.",
                               "Europe/Amsterdam", 64, "^(UTC|[A-Za-z]+(/[A-Za-z0-9_+-]+){1,2})$",
                               "write a region and a city such as Europe/Amsterdam, or UTC")},
      {"maxFileSizeMiB",
       schema::integerProperty("Largest attached file (MiB)",
                               "The largest file that can be attached to a task, in mebibytes.", 20, 1, 500)},
      {"emailReminders",
       schema::booleanProperty("Reminders by e-mail",
                               "Send people an e-mail for the reminders they set and for overdue tasks.", true)},
      {"linkSharing",
       schema::booleanProperty("Sharing by link",
                               "Let people share a project with anyone through a link, without an account.", true)},
  });
  a.swot = {
      .strengths =
          {
              "The same tasks can be seen as a list, a kanban board, a Gantt chart or a table, whichever suits "
              "each person.",
              "It is free software with no paid edition, so no feature is held back for paying customers.",
              "It is light and fast, and works well on phones in the browser.",
          },
      .weaknesses =
          {
              "It has no time tracking, budgets or resource planning, which larger project tools offer.",
              "It is developed mostly by one person, so it grows more slowly than big commercial tools.",
          },
      .opportunities =
          {
              "It can replace spreadsheets and sticky notes with one shared place where everyone sees who does "
              "what by when.",
              "Tasks can be imported from Todoist, Trello and Microsoft To Do, so moving in is quick.",
          },
      .threats =
          {
              "Teams used to spreadsheets may keep using them beside it unless someone leads the change.",
              "Open sign-up left on lets strangers create accounts and use your storage.",
          },
  };
  a.backup = {
      .databases = {"postgresql"},
      .paths = {"/var/lib/vikunja/files"},
      .buckets = {},
      .stopForConsistency = false,
      .notes = "Projects, tasks, comments and accounts are in the database; a live dump is consistent. Files "
               "attached to tasks are in the folder.",
  };
  return a;
}

}  // namespace fedihost::catalog::apps
