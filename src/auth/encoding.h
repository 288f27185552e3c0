#pragma once
// Byte encodings the auth primitives share: base32 (RFC 4648, for TOTP secrets), base64
// (RFC 4648, for sealed values) and lower-case hex (for digests and ids). Bytes travel in
// std::string; decoders are strict and reject anything outside their alphabet.

#include <string>
#include <string_view>

#include "base/result.h"

namespace vigil::auth {

// Upper-case RFC 4648 base32; `pad` adds '=' to a multiple of 8 (otpauth URIs use none).
std::string Base32Encode(std::string_view bytes, bool pad = false);
// Accepts either case, optional trailing '=' padding; rejects other characters and
// impossible lengths.
Result<std::string> Base32Decode(std::string_view text);

// Standard alphabet with '=' padding.
std::string Base64Encode(std::string_view bytes);
Result<std::string> Base64Decode(std::string_view text);

std::string HexEncode(std::string_view bytes);

}  // namespace vigil::auth
