#include "diff/sops/age.h"

#include <algorithm>
#include <cctype>

namespace warren::sops {
namespace {

constexpr std::string_view kCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr std::string_view kVersionLine = "age-encryption.org/v1";
constexpr std::string_view kArmorBegin = "-----BEGIN AGE ENCRYPTED FILE-----";
constexpr std::string_view kArmorEnd = "-----END AGE ENCRYPTED FILE-----";
constexpr std::string_view kX25519Info = "age-encryption.org/v1/X25519";
constexpr size_t kChunk = 64 * 1024;
constexpr size_t kSealedChunk = kChunk + 16;

uint32_t Polymod(const std::vector<uint8_t>& values) {
  static constexpr uint32_t kGen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  uint32_t chk = 1;
  for (uint8_t v : values) {
    uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; ++i)
      if ((top >> i) & 1) chk ^= kGen[i];
  }
  return chk;
}

std::vector<uint8_t> HrpExpand(std::string_view hrp) {
  std::vector<uint8_t> out;
  for (char c : hrp) out.push_back(static_cast<uint8_t>(c) >> 5);
  out.push_back(0);
  for (char c : hrp) out.push_back(static_cast<uint8_t>(c) & 31);
  return out;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

struct Stanza {
  std::vector<std::string_view> args;  // args[0] is the type
  std::string body;
};

struct Header {
  std::vector<Stanza> stanzas;
  std::string_view mac_input;  // from the version line through "---"
  std::string mac;
  size_t payload_offset = 0;
};

struct Failure {
  AgeFailure kind;
  std::string reason;
};

// Reads the line of `text` at `*pos` into `*line`, the LF and a CR before it dropped; the last
// line may lack its LF. False at the end. (Identity files and the armor; the binary header,
// where a CR is an error and the LF required, has NextLine.)
bool NextTextLine(std::string_view text, size_t* pos, std::string_view* line) {
  if (*pos >= text.size()) return false;
  size_t end = text.find('\n', *pos);
  bool eol = end != std::string_view::npos;
  if (!eol) end = text.size();
  *line = text.substr(*pos, end - *pos);
  if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
  *pos = eol ? end + 1 : end;
  return true;
}

// Reads one LF-terminated line from `file` at `*pos`; nullopt at the end without an LF.
std::optional<std::string_view> NextLine(std::string_view file, size_t* pos) {
  size_t end = file.find('\n', *pos);
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view line = file.substr(*pos, end - *pos);
  *pos = end + 1;
  return line;
}

std::optional<Failure> ParseHeader(std::string_view file, Header* out) {
  auto bad = [](std::string reason) { return Failure{AgeFailure::kHeader, std::move(reason)}; };
  size_t pos = 0;
  auto version = NextLine(file, &pos);
  if (!version || *version != kVersionLine) return bad("not an age v1 file (no \"age-encryption.org/v1\" line)");
  while (true) {
    size_t line_start = pos;
    auto line = NextLine(file, &pos);
    if (!line) return bad("the header ends before its MAC line");
    if (line->find('\r') != std::string_view::npos) return bad("carriage return in the header");
    if (line->substr(0, 3) == "---") {
      if (out->stanzas.empty()) return bad("the header has no recipient stanza");
      if (line->size() != 4 + 43 || (*line)[3] != ' ') return bad("malformed header MAC line");
      auto mac = DecodeBase64Strict(line->substr(4), false);
      if (!mac || mac->size() != 32) return bad("malformed header MAC");
      out->mac = std::move(*mac);
      out->mac_input = file.substr(0, line_start + 3);
      out->payload_offset = pos;
      return std::nullopt;
    }
    if (line->substr(0, 2) != "->") return bad("a header line is neither a stanza nor the MAC");
    Stanza stanza;
    size_t start = 0;
    std::vector<std::string_view> parts;
    while (true) {
      size_t space = line->find(' ', start);
      parts.push_back(line->substr(start, space == std::string_view::npos ? std::string_view::npos : space - start));
      if (space == std::string_view::npos) break;
      start = space + 1;
    }
    if (parts[0] != "->" || parts.size() < 2) return bad("a stanza has no type");
    for (size_t i = 1; i < parts.size(); ++i) {
      if (parts[i].empty()) return bad("a stanza has an empty argument");
      for (char c : parts[i])
        if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e)
          return bad("a stanza argument has a character outside printable ASCII");
    }
    stanza.args.assign(parts.begin() + 1, parts.end());
    while (true) {
      auto body = NextLine(file, &pos);
      if (!body) return bad("a stanza body is cut short");
      if (body->size() > 64) return bad("a stanza body line is longer than 64 characters");
      auto bytes = DecodeBase64Strict(*body, false);
      if (!bytes) return bad("a stanza body is not canonical unpadded base64");
      stanza.body += *bytes;
      if (body->size() < 64) break;
    }
    out->stanzas.push_back(std::move(stanza));
  }
}

// The file key from an X25519 stanza for `id`: nullopt when it does not open (no match); a
// Failure when the stanza is malformed or the share is a low-order point.
std::optional<Failure> UnwrapX25519(const Stanza& s, const AgeIdentity& id, std::optional<SecretBytes>* file_key) {
  auto bad = [](std::string reason) { return Failure{AgeFailure::kHeader, std::move(reason)}; };
  if (s.args.size() != 2) return bad("an X25519 stanza must have exactly one argument");
  auto share = DecodeBase64Strict(s.args[1], false);
  if (!share || share->size() != 32) return bad("an X25519 stanza's share is not 32 bytes of canonical base64");
  if (s.body.size() != 32) return bad("an X25519 stanza's body is not 32 bytes");
  auto shared = X25519(id.scalar.view(), *share);
  if (!shared) return bad("an X25519 stanza's share is a low-order point");
  SecretBytes wrap = HkdfSha256(shared->view(), *share + id.public_key, kX25519Info);
  *file_key = ChaChaOpen(wrap.view(), std::string(12, '\0'), s.body);
  return std::nullopt;
}

std::string ChunkNonce(uint64_t counter, bool last) {
  std::string nonce(12, '\0');
  for (int i = 10; i >= 0 && counter; --i, counter >>= 8) nonce[i] = static_cast<char>(counter & 0xff);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

}  // namespace

std::optional<Bech32> DecodeBech32(std::string_view text) {
  bool lower = false, upper = false;
  for (char c : text) {
    if (c < 33 || c > 126) return std::nullopt;
    lower |= c >= 'a' && c <= 'z';
    upper |= c >= 'A' && c <= 'Z';
  }
  if (lower && upper) return std::nullopt;
  size_t sep = text.rfind('1');
  if (sep == std::string_view::npos || sep < 1 || sep + 7 > text.size()) return std::nullopt;
  Bech32 out;
  out.hrp = std::string(text.substr(0, sep));
  std::string hrp_lower = out.hrp;
  for (char& c : hrp_lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::vector<uint8_t> values = HrpExpand(hrp_lower);
  std::vector<uint8_t> data;
  for (char c : text.substr(sep + 1)) {
    size_t v = kCharset.find(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (v == std::string_view::npos) return std::nullopt;
    data.push_back(static_cast<uint8_t>(v));
  }
  values.insert(values.end(), data.begin(), data.end());
  if (Polymod(values) != 1) return std::nullopt;
  data.resize(data.size() - 6);
  uint32_t acc = 0;
  int bits = 0;
  for (uint8_t v : data) {
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.data += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string EncodeBech32(std::string_view hrp, std::string_view data) {
  std::vector<uint8_t> values;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : data) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      values.push_back((acc >> bits) & 31);
    }
  }
  if (bits > 0) values.push_back((acc << (5 - bits)) & 31);
  std::string hrp_lower(hrp);
  for (char& c : hrp_lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::vector<uint8_t> check = HrpExpand(hrp_lower);
  check.insert(check.end(), values.begin(), values.end());
  check.insert(check.end(), 6, 0);
  uint32_t mod = Polymod(check) ^ 1;
  for (int i = 0; i < 6; ++i) values.push_back((mod >> (5 * (5 - i))) & 31);
  std::string out = hrp_lower + "1";
  for (uint8_t v : values) out += kCharset[v];
  return out;
}

std::string EncodeIdentity(std::string_view scalar) {
  std::string s = EncodeBech32("AGE-SECRET-KEY-", scalar);
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string EncodeRecipient(std::string_view public_key) { return EncodeBech32("age", public_key); }

Result<IdentitySet> ParseIdentities(std::string_view text, const std::string& source, bool separated_by_spaces) {
  IdentitySet out;
  int line_no = 0;
  size_t pos = 0;
  std::string_view line;
  while (NextTextLine(text, &pos, &line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string_view> words{line};
    if (separated_by_spaces) {
      words.clear();
      size_t i = 0;
      while (i < line.size()) {
        while (i < line.size() && IsSpace(line[i])) ++i;
        size_t j = i;
        while (j < line.size() && !IsSpace(line[j])) ++j;
        if (j > i) words.push_back(line.substr(i, j - i));
        i = j;
      }
    }
    std::string where = source + ":" + std::to_string(line_no);
    for (std::string_view word : words) {
      if (word.rfind("AGE-SECRET-KEY-PQ-1", 0) == 0 || word.rfind("AGE-PLUGIN-", 0) == 0) {
        ++out.skipped;
        continue;
      }
      if (word.rfind("AGE-SECRET-KEY-1", 0) != 0)
        return Status::Invalid(where +
                               ": not an age identity (want a line starting AGE-SECRET-KEY-1, or # for a comment)");
      auto decoded = DecodeBech32(word);
      if (!decoded || decoded->hrp != "AGE-SECRET-KEY-" || decoded->data.size() != 32)
        return Status::Invalid(where + ": malformed age identity (bad Bech32 checksum or length)");
      AgeIdentity id;
      id.scalar = SecretBytes(std::move(decoded->data));
      auto pub = X25519Public(id.scalar.view());
      if (!pub) return Status::Invalid(where + ": unusable age identity");
      id.public_key = *pub;
      id.recipient = EncodeRecipient(*pub);
      out.identities.push_back(std::move(id));
    }
  }
  return out;
}

const char* AgeFailureName(AgeFailure f) {
  switch (f) {
    case AgeFailure::kNone:
      return "success";
    case AgeFailure::kNoMatch:
      return "no match";
    case AgeFailure::kArmor:
      return "armor failure";
    case AgeFailure::kHeader:
      return "header failure";
    case AgeFailure::kHmac:
      return "HMAC failure";
    case AgeFailure::kPayload:
      return "payload failure";
  }
  return "failure";
}

Result<std::string> Dearmor(std::string_view text, size_t max_bytes) {
  auto bad = [](const std::string& why) { return Status::Invalid("malformed age armor: " + why); };
  if (text.size() > max_bytes)
    return Status::Limit("age armor of " + std::to_string(text.size()) + " bytes is over the limit of " +
                         std::to_string(max_bytes));
  size_t start = 0;
  while (start < text.size() && IsSpace(text[start])) ++start;
  if (start > 1024) return bad("too much whitespace before the BEGIN line");
  // Back up to the start of the BEGIN line: leading spaces on that line are not whitespace lines.
  size_t line_start = text.rfind('\n', start == 0 ? 0 : start - 1);
  line_start = (start == 0 || line_start == std::string_view::npos) ? 0 : line_start + 1;
  if (line_start != start) return bad("the BEGIN line is indented");
  size_t pos = start;
  auto next = [&](std::string_view* line) { return NextTextLine(text, &pos, line); };
  std::string_view line;
  if (!next(&line) || line != kArmorBegin) return bad("no \"-----BEGIN AGE ENCRYPTED FILE-----\" line");
  if (pos > text.size() || text[pos - 1] != '\n') return bad("nothing after the BEGIN line");
  std::string body;
  bool short_seen = false, ended = false;
  while (next(&line)) {
    if (line == kArmorEnd) {
      ended = true;
      break;
    }
    if (short_seen) return bad("a short line that is not the last");
    if (line.empty()) return bad("an empty line");
    if (line.size() > 64) return bad("a line longer than 64 characters");
    short_seen = line.size() < 64;
    body += line;
  }
  if (!ended) return bad("no \"-----END AGE ENCRYPTED FILE-----\" line");
  if (body.empty()) return bad("no data");
  size_t trailing = text.size() - pos;
  if (trailing >= 1024) return bad("too much after the END line");
  for (size_t i = pos; i < text.size(); ++i)
    if (!IsSpace(text[i])) return bad("data after the END line");
  auto bytes = DecodeBase64Strict(body, true);
  if (!bytes) return bad("not canonical padded base64");
  return std::move(*bytes);
}

AgeResult DecryptAge(std::string_view file, const std::vector<const AgeIdentity*>& identities) {
  AgeResult out;
  auto fail = [&](Failure f) {
    out.failure = f.kind;
    out.reason = std::move(f.reason);
    return std::move(out);
  };
  Header header;
  if (auto f = ParseHeader(file, &header)) return fail(std::move(*f));
  std::optional<SecretBytes> file_key;
  for (const AgeIdentity* id : identities) {
    for (const Stanza& s : header.stanzas) {
      if (s.args[0] != "X25519") continue;
      if (auto f = UnwrapX25519(s, *id, &file_key)) return fail(std::move(*f));
      if (file_key) break;
    }
    if (file_key) break;
  }
  if (!file_key)
    return fail({AgeFailure::kNoMatch, "no identity matched any of the file's " +
                                           std::to_string(header.stanzas.size()) + " recipient stanza(s)"});
  if (file_key->size() != 16) return fail({AgeFailure::kHeader, "the file key is not 16 bytes"});
  SecretBytes mac_key = HkdfSha256(file_key->view(), "", "header");
  if (!SameBytes(HmacSha256(mac_key.view(), header.mac_input), header.mac))
    return fail({AgeFailure::kHmac, "the header MAC does not match"});

  std::string_view rest = file.substr(header.payload_offset);
  if (rest.size() < 16) return fail({AgeFailure::kHeader, "the payload nonce is missing or short"});
  SecretBytes payload_key = HkdfSha256(file_key->view(), rest.substr(0, 16), "payload");
  rest.remove_prefix(16);
  if (rest.empty()) return fail({AgeFailure::kPayload, "the payload has no chunks"});
  size_t chunks = (rest.size() + kSealedChunk - 1) / kSealedChunk;
  std::string plaintext;
  for (size_t i = 0; i < chunks; ++i) {
    bool last = i + 1 == chunks;
    std::string_view sealed = rest.substr(i * kSealedChunk, kSealedChunk);
    if (last && (sealed.size() < 16 || (sealed.size() == 16 && chunks > 1)))
      return fail({AgeFailure::kPayload, "the last payload chunk is empty or short"});
    auto opened = ChaChaOpen(payload_key.view(), ChunkNonce(i, last), sealed);
    if (!opened) return fail({AgeFailure::kPayload, "payload chunk " + std::to_string(i) + " fails authentication"});
    plaintext += opened->bytes();
  }
  out.plaintext = SecretBytes(std::move(plaintext));
  return out;
}

Result<std::vector<std::string>> AgeStanzaTypes(std::string_view file) {
  Header header;
  if (auto f = ParseHeader(file, &header)) return Status::Invalid(f->reason);
  std::vector<std::string> types;
  for (const Stanza& s : header.stanzas) types.emplace_back(s.args[0]);
  return types;
}

std::string EncryptAge(std::string_view recipient_public, std::string_view plaintext) {
  std::string ephemeral = RandomBytes(32);
  std::string share = *X25519Public(ephemeral);
  auto shared = X25519(ephemeral, recipient_public);
  if (!shared) throw std::runtime_error("age: unusable recipient");
  SecretBytes wrap = HkdfSha256(shared->view(), share + std::string(recipient_public), kX25519Info);
  std::string file_key = RandomBytes(16);
  std::string body = ChaChaSeal(wrap.view(), std::string(12, '\0'), file_key);
  std::string header = std::string(kVersionLine) + "\n-> X25519 " + EncodeBase64(share, false) + "\n" +
                       EncodeBase64(body, false) + "\n---";
  SecretBytes mac_key = HkdfSha256(file_key, "", "header");
  std::string out = header + " " + EncodeBase64(HmacSha256(mac_key.view(), header), false) + "\n";
  std::string nonce = RandomBytes(16);
  SecretBytes payload_key = HkdfSha256(file_key, nonce, "payload");
  out += nonce;
  size_t offset = 0;
  uint64_t counter = 0;
  do {
    std::string_view chunk = plaintext.substr(offset, kChunk);
    offset += chunk.size();
    bool last = offset >= plaintext.size();
    out += ChaChaSeal(payload_key.view(), ChunkNonce(counter++, last), chunk);
    if (last) break;
  } while (true);
  return out;
}

std::string Armor(std::string_view binary) {
  std::string b64 = EncodeBase64(binary, true);
  std::string out = std::string(kArmorBegin) + "\n";
  for (size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  out += std::string(kArmorEnd) + "\n";
  return out;
}

}  // namespace warren::sops
