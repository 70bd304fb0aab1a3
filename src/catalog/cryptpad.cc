// Catalog entry: CryptPad, NixOS services.cryptpad.
//
// Why CryptPad for "secure document collaboration":
// - Documents are end-to-end encrypted in the browser: the server, and so the
//   provider and the customer's own operator, store only ciphertext. That is
//   what "secure" means for a hosted collaboration tool; the usual alternatives
//   (Nextcloud with Collabora, OnlyOffice, HedgeDoc, Etherpad) let the server
//   read every document.
// - It covers the office needs of a small organisation in one app: rich text,
//   spreadsheets, presentations, forms, kanban, whiteboard, code and a shared drive.
// - AGPL-3.0-or-later with no open core: there is no paid edition; every
//   feature is in the free code (XWiki SAS funds it by hosting and grants).
// - Packaged in nixpkgs with a NixOS module (services.cryptpad), and it needs
//   no database, no object storage and no mail: it keeps its (encrypted) data
//   on disk under /var/lib/cryptpad.
#include "catalog/apps.hh"
#include "catalog/catalog.hh"
#include "catalog/settings_schema.hh"

namespace fedihost::catalog::apps {

App cryptpad() {
  App a;
  a.id = "cryptpad";
  a.name = "CryptPad";
  a.summary = "Documents, spreadsheets and forms written together, encrypted so only you can read them.";
  a.description =
      "CryptPad is an office suite in the web browser for writing documents, spreadsheets, presentations, "
      "forms and to-do boards together, with everyone's changes appearing as they type. Everything is "
      "encrypted on each person's own device before it is saved, so nobody else can read your documents: "
      "not the hosting provider, and not whoever runs the server. Members can keep their work in a personal "
      "or shared drive, or share a single document through a link. It suits organisations that handle "
      "sensitive information, such as NGOs, unions, journalists or health and social workers.";
  a.upstream = "https://cryptpad.org";
  a.licence = "AGPL-3.0-or-later";
  a.openCore = false;
  a.activityPub = false;
  a.version = "2024.12.0";
  a.defaultSubdomain = "cryptpad";
  a.needs = {
      .cpu = 1,
      .memoryMiB = 1024,
      .diskGiB = 20,
      .databases = {},
      .buckets = {},
      .mail = false,
      .redis = false,
      .ports = {443},
  };
  a.extraHosts = {"sandbox"};  // httpSafeOrigin: documents render on a separate origin
  a.settingsSchema = schema::objectSchema({
      {"subdomain", schema::subdomainProperty(a.name, a.defaultSubdomain)},
      {"instanceName",
       schema::textProperty("Site name", "The name shown on the start page and in the browser tab.", "CryptPad", 1,
                            60)},
      {"registrations",
       schema::enumProperty("Who can sign up",
                            "Whether anyone can create an account (open), or only people who received an "
                            "invitation link from an administrator (invitation). Accounts that exist keep "
                            "working either way.",
                            "open", {"open", "invitation"})},
      {"guestDocuments",
       schema::booleanProperty("Visitors can create documents",
                               "Let people without an account create new documents. When off, visitors can still "
                               "open and edit documents that members share with them.",
                               false)},
      {"storageLimitMiB",
       schema::integerProperty("Storage per member (MiB)",
                               "How much space each account gets for its documents and uploaded files, in "
                               "mebibytes, unless an administrator gives it more.",
                               500, 10, 102400)},
      {"maxUploadSizeMiB",
       schema::integerProperty("Maximum upload size (MiB)",
                               "The largest single file, such as a picture or a PDF, that can be uploaded, in "
                               "mebibytes.",
                               20, 1, 1024)},
  });
  a.category = "office";
  a.swot = {
      .strengths =
          {
              "Documents are encrypted on each person's device: even the server's operator cannot read them.",
              "Documents, spreadsheets, presentations, forms, to-do boards and whiteboards, edited together in "
              "real time.",
              "Light to run: no database and no mail server, so it costs little.",
              "Free software with no paid edition: every feature is in the free version.",
          },
      .weaknesses =
          {
              "A forgotten password cannot be reset by anyone, so the documents of that account are lost.",
              "Fewer connections to other tools than Nextcloud: it does not sync files to computers or hold "
              "calendars and contacts.",
              "Large spreadsheets and presentations feel slower than in desktop office software.",
              "Documents that are in no one's drive are deleted after 90 days without use.",
          },
      .opportunities =
          {
              "Journalists, NGOs, unions and care workers can work together on sensitive documents safely.",
              "Privacy rules such as the GDPR are easier to meet when even the provider cannot see the "
              "content.",
          },
      .threats =
          {
              "Because the server cannot see documents, it cannot check them for abuse either, so open sign-ups "
              "need care.",
              "Microsoft Office files are opened through built-in converters, and complex layouts can come out "
              "changed.",
          },
  };
  a.backup = {
      .databases = {},
      .paths = {"/var/lib/cryptpad"},
      .buckets = {},
      .stopForConsistency = true,
      .notes =
          "Everything CryptPad keeps is encrypted files under /var/lib/cryptpad, which the backup copies as they "
          "are: the backup cannot read the documents either. CryptPad is stopped for the copy, a minute or two "
          "for a small site, because documents being edited are appended to constantly and the account, "
          "document and upload folders must match. Members need their own passwords after a restore; nobody "
          "can recover an account whose password is lost.",
  };
  return a;
}

}  // namespace fedihost::catalog::apps
