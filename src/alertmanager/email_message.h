#pragma once
// The RFC 5322 message the email integration sends, built as Alertmanager
// 0.25 builds it: the templated headers (Q-encoded when not plain ASCII),
// Date, `Content-Type: multipart/alternative` and MIME-Version, then a
// quoted-printable text/plain part (when there is text) and a
// quoted-printable text/html part (when there is HTML), the preferred
// alternative last. Pure functions.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::alertmanager {

// Go's mime.QEncoding.Encode("utf-8", s): `s` itself when it is printable
// ASCII, else RFC 2047 encoded-words ("=?utf-8?q?...?=") of at most 75
// bytes each, separated by a space, never splitting a UTF-8 sequence.
std::string QEncodeHeader(std::string_view s);

// RFC 2045 quoted-printable as Go's quotedprintable.Writer writes text:
// lines end in CRLF, are at most 76 bytes (soft breaks "=\r\n"), and '=',
// bytes outside printable ASCII and whitespace before a line end are
// escaped as =XX.
std::string QuotedPrintable(std::string_view body);

struct EmailParts {
  std::vector<std::pair<std::string, std::string>> headers;  // expanded, in order
  std::string text;  // "" = no text part
  std::string html;  // "" = no HTML part
  std::string boundary;
  std::string date;  // RFC 1123Z ("Mon, 02 Jan 2006 15:04:05 -0700")
};

// The whole message, lines ending in CRLF (not yet dot-stuffed).
std::string BuildEmailMessage(const EmailParts& parts);

// Now as RFC 1123Z in UTC, for the Date header.
std::string EmailDateNow();

}  // namespace vigil::alertmanager
