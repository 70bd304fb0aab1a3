// Catalog entry: HedgeDoc, collaborative Markdown notes.
#include "catalog/apps.hh"
#include "catalog/settings_schema.hh"

namespace fedihost::catalog::apps {

App hedgedoc() {
  App a;
  a.id = "hedgedoc";
  a.name = "HedgeDoc";
  a.summary = "Shared notes that several people write at the same time, in the browser.";
  a.description =
      "HedgeDoc is a shared notepad in the browser: several people open the same note and write in it at the "
      "same time, each seeing the others' changes as they type. It is ideal for meeting minutes, agendas, "
      "plans and first drafts, and a note can be shared with a single link, published as a web page or shown "
      "as a slide show. Text is formatted with simple marks such as # for a heading and * for a list (Markdown), "
      "with a live preview beside it. HedgeDoc is quick to learn and light to run, but it is made for notes and "
      "short documents, not for spreadsheets or print layouts.";
  a.upstream = "https://hedgedoc.org";
  a.licence = "AGPL-3.0-only";
  a.openCore = false;
  a.activityPub = false;
  a.version = "1.12.0";
  a.defaultSubdomain = "notes";
  a.category = "office";
  a.needs = {
      .cpu = 1,
      .memoryMiB = 1024,
      .diskGiB = 10,
      .databases = {"postgresql"},
      .buckets = {{"uploads", "pictures pasted or uploaded into notes"}},
      .mail = false,  // HedgeDoc sends no e-mail
      .redis = false,
      .ports = {443},
      .secrets = {{"session-secret", secrets::SecretFormat::Hex,
                   "the secret HedgeDoc signs its session cookies with"}},
  };
  a.settingsSchema = schema::objectSchema({
      {"subdomain", schema::subdomainProperty(a.name, a.defaultSubdomain)},
      {"allowEmailRegister",
       schema::booleanProperty("Open sign-up",
                               "Let anyone who knows the address create an account with an e-mail address and a "
                               "password. Turn it off once your team has signed up.",
                               true)},
      {"allowAnonymous",
       schema::booleanProperty("Notes without an account",
                               "Let people who are not signed in create new notes.", false)},
      {"allowAnonymousEdits",
       schema::booleanProperty("Editing without an account",
                               "Let people who are not signed in edit notes whose owner allows everyone to edit.",
                               false)},
      {"defaultPermission",
       schema::enumProperty("Who can use a new note",
                            "Who may read and edit a note until its owner changes it: everyone may edit, even "
                            "without an account (freely); everyone may read and signed-in people edit (editable); "
                            "signed-in people read and edit (limited); everyone may read and only the owner edits "
                            "(locked); signed-in people read and only the owner edits (protected); only the owner "
                            "(private).",
                            "editable", {"freely", "editable", "limited", "locked", "protected", "private"})},
      {"documentMaxLength",
       schema::integerProperty("Longest note (characters)",
                               "The largest number of characters one note may contain.", 100000, 10000, 1000000)},
  });
  a.swot = {
      .strengths =
          {
              "Several people can write in the same note at once and see each other's changes live.",
              "Notes are plain text, so they can be copied anywhere and never lock you in.",
              "It is light and quick, and a note can be shared with a single link, even as a slide show.",
          },
      .weaknesses =
          {
              "Formatting uses Markdown marks such as # and *, which people used to word processors have to learn.",
              "It is made for notes and short documents, not for spreadsheets, presentations with layout or print "
              "(an office suite does that).",
              "There are no folders: notes are found through each person's history, tags or links.",
          },
      .opportunities =
          {
              "Meeting minutes, agendas and shared drafts can move out of e-mail attachments into one live page.",
              "A new major version, HedgeDoc 2, is being written with groups and finer permissions.",
          },
      .threats =
          {
              "Anyone with the link can read a note whose permission allows it, so sharing settings need care.",
              "Most development now goes into HedgeDoc 2, so version 1 mainly receives fixes.",
          },
  };
  a.backup = {
      .databases = {"postgresql"},
      .paths = {"/var/lib/hedgedoc"},
      .buckets = {"uploads"},
      .stopForConsistency = false,
      .notes = "The notes, their history and the accounts are in the database; a live dump is consistent. "
               "Pictures in notes are in the uploads bucket.",
  };
  return a;
}

}  // namespace fedihost::catalog::apps
