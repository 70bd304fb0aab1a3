#include "net/mailer.hh"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <vector>

#include "core/fd.hh"
#include "core/ids.hh"
#include "core/private_file.hh"
#include "net/curl_util.hh"

namespace fedihost::net {
namespace {

constexpr std::size_t kMaxLine = 998;  // RFC 5322 2.1.1, without CRLF

Result<void> checkHeader(const char* field, const std::string& value) {
  if (value.find_first_of("\r\n") != std::string::npos)
    return Error::invalid(field, "must not contain a line break (CR or LF)");
  if (value.find('\0') != std::string::npos) return Error::invalid(field, "must not contain a NUL character");
  return {};
}

Result<void> checkAddress(const char* field, const std::string& address) {
  if (auto ok = checkHeader(field, address); !ok) return ok;
  const auto at = address.rfind('@');
  if (address.empty() || at == 0 || at == std::string::npos || at + 1 == address.size())
    return Error::invalid(field, "\"" + address + "\" is not an e-mail address (local@domain)");
  for (unsigned char c : address)
    if (c <= ' ' || c >= 0x7f || std::strchr("<>()[],;:\\\"", c))
      return Error::invalid(field, "\"" + address + "\" is not a plain ASCII e-mail address (no spaces, brackets or quotes)");
  return {};
}

std::string rfc5322Date(std::chrono::system_clock::time_point now) {
  static constexpr std::array<const char*, 7> days{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
                months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string base64(std::string_view s) {
  std::string out(sodium_base64_encoded_len(s.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(s.data()), s.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();  // the NUL
  return out;
}

/// The Subject header's value: as it is when short ASCII, else RFC 2047
/// encoded-words of whole UTF-8 characters, folded one per line.
std::string encodeSubject(const std::string& subject) {
  const bool plain = subject.size() <= 900 &&
                     std::all_of(subject.begin(), subject.end(), [](unsigned char c) { return c >= ' ' && c < 0x7f; });
  if (plain) return subject;
  // 39 octets: 52 characters of base64 in a 64-character word, so that even the first
  // line, after "Subject: ", stays within the 76 RFC 2047 allows.
  constexpr std::size_t kChunk = 39;
  std::string out;
  for (std::size_t i = 0; i < subject.size();) {
    std::size_t n = std::min(kChunk, subject.size() - i);
    while (i + n < subject.size() && (static_cast<unsigned char>(subject[i + n]) & 0xc0) == 0x80) --n;  // no split character
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(std::string_view(subject).substr(i, n)) + "?=";
    i += n;
  }
  return out;
}

/// The body's lines (CRLF, LF or a lone CR end a line), without their ends; a
/// final line end ends the last line rather than starting an empty one.
std::vector<std::string> bodyLines(const std::string& body) {
  std::vector<std::string> lines(1);
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\r' || body[i] == '\n') {
      if (body[i] == '\r' && i + 1 < body.size() && body[i + 1] == '\n') ++i;
      lines.emplace_back();
    } else {
      lines.back() += body[i];
    }
  }
  if (lines.size() > 1 && lines.back().empty()) lines.pop_back();
  return lines;
}

/// One line in quoted-printable (RFC 2045 6.7), soft-broken before 76 characters.
std::string quotedPrintable(const std::string& line) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  std::size_t width = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    const bool last = i + 1 == line.size();
    const bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
    const std::string piece = literal ? std::string(1, static_cast<char>(c)) : std::string{'=', hex[c >> 4], hex[c & 15]};
    if (width + piece.size() > 75) {
      out += "=\r\n";
      width = 0;
    }
    out += piece;
    width += piece.size();
  }
  return out;
}

/// The server's last error reply (4xx or 5xx), from libcurl's transcript.
int keepErrorReply(CURL*, curl_infotype type, char* data, size_t size, void* out) {
  if (type != CURLINFO_HEADER_IN || size < 3) return 0;
  if (data[0] != '4' && data[0] != '5') return 0;
  std::string line(data, size);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  *static_cast<std::string*>(out) = line;
  return 0;
}

/// The URL without user information ("smtp://user:secret@host" -> "smtp://host"), for messages.
std::string withoutUserinfo(const std::string& url) {
  const auto start = url.find("://");
  if (start == std::string::npos) return url;
  const auto at = url.find('@', start + 3);
  if (at == std::string::npos || at > url.find('/', start + 3)) return url;
  return url.substr(0, start + 3) + url.substr(at + 1);
}

struct Upload {
  const std::string& text;
  std::size_t offset = 0;
};

size_t readUpload(char* buffer, size_t size, size_t n, void* p) {
  auto* up = static_cast<Upload*>(p);
  const std::size_t count = std::min(size * n, up->text.size() - up->offset);
  std::memcpy(buffer, up->text.data() + up->offset, count);
  up->offset += count;
  return count;
}

}  // namespace

Result<std::string> formatMessage(const MailMessage& message, const std::string& defaultFrom,
                                  std::chrono::system_clock::time_point now) {
  const std::string& from = message.from.empty() ? defaultFrom : message.from;
  if (auto ok = checkAddress("from", from); !ok) return ok.error();
  if (auto ok = checkAddress("to", message.to); !ok) return ok.error();
  if (auto ok = checkHeader("subject", message.subject); !ok) return ok.error();

  const auto lines = bodyLines(message.textBody);
  const bool longLines = std::any_of(lines.begin(), lines.end(), [](auto& l) { return l.size() > kMaxLine; });
  std::string text = "Date: " + rfc5322Date(now) + "\r\n";
  text += "Message-ID: <" + ids::randomToken(18) + "@" + from.substr(from.rfind('@') + 1) + ">\r\n";
  text += "From: " + from + "\r\n";
  text += "To: " + message.to + "\r\n";
  text += "Subject: " + encodeSubject(message.subject) + "\r\n";
  text += "MIME-Version: 1.0\r\n";
  text += "Content-Type: text/plain; charset=utf-8\r\n";
  text += std::string("Content-Transfer-Encoding: ") + (longLines ? "quoted-printable" : "8bit") + "\r\n\r\n";
  for (auto& line : lines) text += (longLines ? quotedPrintable(line) : line) + "\r\n";
  return text;
}

// ---------------------------------------------------------------- SMTP

SmtpMailer::SmtpMailer(std::string url, MailerConfig config) : url_(std::move(url)), config_(std::move(config)) {}

Result<void> SmtpMailer::send(const MailMessage& message) {
  auto text = formatMessage(message, config_.from);
  if (!text) return text.error();
  const std::string& from = message.from.empty() ? config_.from : message.from;

  CurlHandle handle = newCurlHandle();
  if (!handle) return Error{ErrorKind::Internal, "libcurl could not make a handle", {}};
  CURL* c = handle.get();
  CurlList rcpt;
  curlListAppend(rcpt, "<" + message.to + ">");
  const std::string mailFrom = "<" + from + ">";
  Upload upload{*text};
  std::string errorReply;
  curl_easy_setopt(c, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, mailFrom.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, readUpload);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(text->size()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, config_.timeoutMs);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, config_.timeoutMs);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  const long useSsl = config_.startTls == StartTls::Required   ? CURLUSESSL_ALL
                     : config_.startTls == StartTls::Optional ? CURLUSESSL_TRY
                                                              : CURLUSESSL_NONE;
  curl_easy_setopt(c, CURLOPT_USE_SSL, useSsl);
  if (!config_.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, config_.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, config_.password.c_str());
  }
  curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, keepErrorReply);
  curl_easy_setopt(c, CURLOPT_DEBUGDATA, &errorReply);
  curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);  // the debug function sees the server's replies only with it

  const auto rc = curl_easy_perform(c);
  if (rc == CURLE_OK) return {};
  const std::string server = "SMTP server " + withoutUserinfo(url_);
  const std::string said = errorReply.empty() ? curl_easy_strerror(rc) : errorReply;
  switch (rc) {
    case CURLE_LOGIN_DENIED:
      return Error{ErrorKind::Unauthorized, server + " refused the login of " + config_.username + ": " + said, {}};
    case CURLE_USE_SSL_FAILED:
      return Error{ErrorKind::Provider, server + " does not offer STARTTLS, which the configuration requires", {}};
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT: return transferError(rc, server, config_.timeoutMs);
    default: break;
  }
  if (errorReply.empty()) return transferError(rc, server, config_.timeoutMs);
  return Error{errorReply[0] == '4' ? ErrorKind::Unavailable : ErrorKind::Provider,
               server + " refused the message from " + from + " to " + message.to + ": " + errorReply, {}};
}

// ---------------------------------------------------------------- files

FileMailer::FileMailer(std::filesystem::path dir, std::string defaultFrom)
    : dir_(std::move(dir)), from_(std::move(defaultFrom)) {}

Result<void> FileMailer::send(const MailMessage& message) {
  const auto now = std::chrono::system_clock::now();
  auto text = formatMessage(message, from_, now);
  if (!text) return text.error();
  auto fail = [&](const std::string& what) {
    return Error{ErrorKind::Unavailable, "cannot " + what + " in " + dir_.string() + ": " + std::strerror(errno), {}};
  };
  if (auto made = files::makePrivateDirs(dir_); !made)
    return Error{ErrorKind::Unavailable, "cannot create the mail directory: " + made.error().message, {}};

  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  const auto name = dir_ / (std::string(stamp) + "-" + ids::randomBase32(10) + ".eml");
  const auto partial = std::filesystem::path(name.string() + ".part");  // readers see whole .eml files only
  Fd fd(::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) return fail("create a message file");
  for (std::size_t done = 0; done < text->size();) {
    auto n = ::write(fd.get(), text->data() + done, text->size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      auto e = fail("write a message file");
      ::unlink(partial.c_str());
      return e;
    }
    done += static_cast<std::size_t>(n);
  }
  if (!fd.close() || ::rename(partial.c_str(), name.c_str()) != 0) {
    auto e = fail("write a message file");
    ::unlink(partial.c_str());
    return e;
  }
  return {};
}

// ---------------------------------------------------------------- factory

Result<std::unique_ptr<Mailer>> makeMailer(const std::string& url, const MailerConfig& config) {
  using Make = std::function<std::unique_ptr<Mailer>(const std::string& rest)>;
  const std::pair<std::string_view, Make> schemes[] = {
      {"smtp://", [&](const std::string&) { return std::make_unique<SmtpMailer>(url, config); }},
      {"smtps://", [&](const std::string&) { return std::make_unique<SmtpMailer>(url, config); }},
      {"file:", [&](const std::string& rest) {
         // file:/dir and file:///dir (an empty authority) name the same directory.
         return std::make_unique<FileMailer>(rest.starts_with("//") ? rest.substr(2) : rest, config.from);
       }}};
  std::string known;
  for (auto& [prefix, make] : schemes) {
    if (url.starts_with(prefix)) {
      auto rest = url.substr(prefix.size());
      if (rest.empty() || rest == "//") return Error::invalid("url", "\"" + url + "\" names no server or directory");
      return make(rest);
    }
    known += (known.empty() ? "" : ", ") + std::string(prefix);
  }
  return Error::invalid("url", "\"" + url + "\" is not a mail URL; known schemes: " + known);
}

}  // namespace fedihost::net
