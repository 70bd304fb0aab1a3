// Catalog entry: Roundcube, webmail.
//
// Why Roundcube for "webmail": it is free software (GPL-3.0-or-later) with no
// open-core or paid edition holding features back, unlike Zimbra, whose
// features sit in a paid Network Edition. It is only a web page in front of
// mailboxes, so a customer keeps the e-mail provider they already have and
// nothing has to move. NixOS has a maintained services.roundcube module, it is
// the most widely used free webmail with a long security record, and it needs
// little: PHP and a small PostgreSQL database, which fits small organisations.
#include "catalog/apps.hh"
#include "catalog/settings_schema.hh"

namespace fedihost::catalog::apps {

App roundcube() {
  App a;
  a.id = "roundcube";
  a.name = "Roundcube";
  a.summary = "Webmail: read and send your organisation's e-mail in the browser.";
  a.description =
      "Roundcube is a web page for reading and writing e-mail, with folders, an address book, search and "
      "signatures, that works in any browser on any computer. It does not hold mailboxes itself: it connects to "
      "the mailboxes your organisation already has with its e-mail provider, and people sign in with their usual "
      "e-mail address and password. Your messages stay where they are; Roundcube only shows them, and sends "
      "what people write. You give it the names of your provider's mail servers in the settings. It suits "
      "organisations whose e-mail provider offers no webmail, or one they would rather not use.";
  a.upstream = "https://roundcube.net";
  a.licence = "GPL-3.0-or-later";
  a.openCore = false;
  a.activityPub = false;
  a.version = "1.7.4";
  a.defaultSubdomain = "mail";
  a.category = "mail";
  a.needs = {
      .cpu = 1,
      .memoryMiB = 1024,
      .diskGiB = 10,
      .databases = {"postgresql"},  // address books, settings and a cache of message lists
      .buckets = {},
      .mail = true,  // sending through the provider's mail relay when no outgoing server is given
      .redis = false,
      .ports = {443},
  };
  // A host name of two or more DNS labels, or empty for the default.
  const char* host = "^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+)?$";
  a.settingsSchema = schema::objectSchema({
      {"subdomain", schema::subdomainProperty(a.name, a.defaultSubdomain)},
      {"imapHost",
       schema::patternProperty("Incoming mail server",
                               "The name of your e-mail provider's server for reading mail (IMAP), for example "
                               "imap.example.org; your provider's help pages list it. Leave it empty to use imap. "
                               "followed by your domain. Roundcube always connects to it securely.",
                               "", 253, host, "enter a server name such as imap.example.org, or leave it empty")},
      {"smtpHost",
       schema::patternProperty("Outgoing mail server",
                               "The name of your e-mail provider's server for sending mail (SMTP), for example "
                               "smtp.example.org; people then send with their own e-mail password. Leave it empty "
                               "to send through your hosting provider's mail relay instead.",
                               "", 253, host, "enter a server name such as smtp.example.org, or leave it empty")},
      {"productName",
       schema::textProperty("Name shown on the page",
                            "The name shown on the sign-in page and in the browser tab, for example your "
                            "organisation's name followed by \"Webmail\".",
                            "Webmail", 1, 60)},
      {"maxAttachmentMiB",
       schema::integerProperty("Largest attachment (MiB)",
                               "The largest total size of the files attached to one message, in mebibytes. Most "
                               "mail servers refuse messages above 25 MiB.",
                               25, 1, 100)},
  });
  a.swot = {
      .strengths =
          {
              "It works with the mailboxes you already have: nothing moves, and people sign in with their usual "
              "address and password.",
              "It is mature and widely used, with a familiar look, an address book and mail filters.",
              "It works in any browser, so people can read mail on a shared or borrowed computer without "
              "installing anything.",
          },
      .weaknesses =
          {
              "It is only the web page: the mailboxes stay with your e-mail provider, who must allow sign-in over "
              "IMAP.",
              "It has no calendar or shared files of its own, unlike a full groupware suite such as Nextcloud.",
          },
      .opportunities =
          {
              "An organisation whose e-mail host offers a poor webmail, or one full of advertising, gets a clean "
              "one under its own address.",
              "Plugins add features such as two-step sign-in, holiday replies and server-side mail filters.",
          },
      .threats =
          {
              "Webmail is a favourite target of phishing and attacks, so updates must be applied promptly.",
              "Some large e-mail providers no longer accept plain password sign-in over IMAP, and Roundcube "
              "cannot connect to them that way.",
          },
  };
  a.backup = {
      .databases = {"postgresql"},
      .paths = {"/var/lib/roundcube"},
      .buckets = {},
      .stopForConsistency = false,
      .notes = "The database holds people's address books, settings and signatures; a live dump is consistent. "
               "The folder holds the key that protects stored sign-ins. The e-mails themselves are on the "
               "organisation's mail server and are not part of this backup.",
  };
  return a;
}

}  // namespace fedihost::catalog::apps
