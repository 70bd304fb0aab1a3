#pragma once
// Sending mail (sign-up confirmations, second-factor notices, invoices): one
// abstract Mailer, made from a URL by makeMailer like the other pluggable parts:
//   smtp://host:port    SMTP submission through libcurl, STARTTLS as configured
//   smtps://host:port   SMTP over TLS from the first byte
//   file:/dir           FileMailer: each message written to a .eml file (tests, demos)
// Messages are plain UTF-8 text. A header value holding CR or LF is refused
// (Invalid), so no input can add a header or a recipient.
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "core/result.hh"

namespace fedihost::net {

struct MailMessage {
  std::string from;  ///< an address (no display name); empty: the mailer's configured sender
  std::string to;    ///< one address
  std::string subject;
  std::string textBody;  ///< UTF-8; line ends may be LF or CRLF
};

/// Delivers messages; one implementation per transport.
class Mailer {
 public:
  virtual ~Mailer() = default;

  /// Delivers one message. Invalid (naming the field) for a bad address or a
  /// header value with CR/LF, before anything is sent; other errors depend on the transport.
  virtual Result<void> send(const MailMessage& message) = 0;
};

/// Whether an smtp:// connection must, may or must not switch to TLS with STARTTLS.
enum class StartTls { Required, Optional, None };

struct MailerConfig {
  StartTls startTls = StartTls::Required;  ///< smtp:// only (smtps:// is TLS throughout)
  std::string username;                    ///< empty: no SMTP AUTH
  std::string password;
  long timeoutMs = 15000;  ///< the whole exchange
  std::string from;        ///< the sender of messages that name none
};

/// SMTP submission with libcurl, on a fresh connection per message. Errors: a
/// refused login is Unauthorized; a server that cannot be reached or does not
/// answer in time is Unavailable; a refusal (sender, recipient, message) is
/// Provider for a 5xx reply and Unavailable for a 4xx one, with the server's words.
class SmtpMailer final : public Mailer {
 public:
  /// `url`: smtp://host:port or smtps://host:port.
  SmtpMailer(std::string url, MailerConfig config);

  /// Sends the message through the server.
  Result<void> send(const MailMessage& message) override;

 private:
  std::string url_;
  MailerConfig config_;
};

/// Delivers nothing: writes each message, as it would be sent, to a new file
/// <dir>/<UTC time>-<random>.eml of mode 0600 (the directory is created). For
/// tests, demos and machines without a mail server.
class FileMailer final : public Mailer {
 public:
  /// Messages without a sender get `defaultFrom`.
  FileMailer(std::filesystem::path dir, std::string defaultFrom = {});

  /// Writes the message to a new .eml file; Unavailable if it cannot be written.
  Result<void> send(const MailMessage& message) override;

 private:
  std::filesystem::path dir_;
  std::string from_;
};

/// The message in RFC 5322 form with CRLF line ends: Date, Message-ID, From, To,
/// Subject (RFC 2047 encoded when not ASCII), MIME-Version, Content-Type text/plain;
/// charset=utf-8, and the body in 8bit, or quoted-printable when a line is
/// longer than SMTP allows (998 octets). `defaultFrom` stands in for an empty
/// message.from. Invalid for a bad address or a header value with CR/LF.
Result<std::string> formatMessage(const MailMessage& message, const std::string& defaultFrom,
                                  std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

/// The mailer a URL names (smtp://, smtps:// or file:/dir); Invalid (field "url")
/// for another scheme, naming the known ones.
Result<std::unique_ptr<Mailer>> makeMailer(const std::string& url, const MailerConfig& config = {});

}  // namespace fedihost::net
