// DNS protocol constants: header layout, types, classes, opcodes and response codes (RFC 1035, 6891, 6895).
#pragma once

#include <cstddef>
#include <cstdint>

namespace fedns::dns {

inline constexpr std::size_t kHeaderSize = 12;
inline constexpr std::size_t kMaxNameLength = 255;     // RFC 1035 2.3.4, wire form including the root label
inline constexpr std::size_t kMaxLabelLength = 63;     // RFC 1035 2.3.4
inline constexpr std::size_t kMaxUdpPlain = 512;       // RFC 1035 4.2.1, without EDNS
inline constexpr std::size_t kMaxMessage = 65535;      // RFC 7766 8, two-byte length prefix
inline constexpr std::uint16_t kMinEdnsPayload = 512;  // RFC 6891 6.2.5

namespace type {
inline constexpr std::uint16_t kA = 1;
inline constexpr std::uint16_t kNS = 2;
inline constexpr std::uint16_t kCNAME = 5;
inline constexpr std::uint16_t kSOA = 6;
inline constexpr std::uint16_t kPTR = 12;
inline constexpr std::uint16_t kHINFO = 13;
inline constexpr std::uint16_t kMX = 15;
inline constexpr std::uint16_t kTXT = 16;
inline constexpr std::uint16_t kAAAA = 28;
inline constexpr std::uint16_t kSRV = 33;
inline constexpr std::uint16_t kDNAME = 39;
inline constexpr std::uint16_t kOPT = 41;
inline constexpr std::uint16_t kDS = 43;
inline constexpr std::uint16_t kRRSIG = 46;
inline constexpr std::uint16_t kTSIG = 250;
inline constexpr std::uint16_t kIXFR = 251;
inline constexpr std::uint16_t kAXFR = 252;
inline constexpr std::uint16_t kMAILB = 253;
inline constexpr std::uint16_t kMAILA = 254;
inline constexpr std::uint16_t kANY = 255;
}  // namespace type

namespace klass {
inline constexpr std::uint16_t kIN = 1;
inline constexpr std::uint16_t kCH = 3;
inline constexpr std::uint16_t kNONE = 254;
inline constexpr std::uint16_t kANY = 255;
}  // namespace klass

namespace opcode {
inline constexpr std::uint8_t kQuery = 0;
inline constexpr std::uint8_t kIQuery = 1;
inline constexpr std::uint8_t kStatus = 2;
inline constexpr std::uint8_t kNotify = 4;  // RFC 1996
inline constexpr std::uint8_t kUpdate = 5;  // RFC 2136
}  // namespace opcode

// Response codes. Values above 15 need the EDNS extended-rcode bits (RFC 6891 6.1.3).
namespace rcode {
inline constexpr std::uint16_t kNoError = 0;
inline constexpr std::uint16_t kFormErr = 1;
inline constexpr std::uint16_t kServFail = 2;
inline constexpr std::uint16_t kNXDomain = 3;
inline constexpr std::uint16_t kNotImp = 4;
inline constexpr std::uint16_t kRefused = 5;
inline constexpr std::uint16_t kNotAuth = 9;
inline constexpr std::uint16_t kBadVers = 16;
inline constexpr std::uint16_t kCount = 24;  // bounded range kept in metrics
}  // namespace rcode

namespace edns_option {
inline constexpr std::uint16_t kNsid = 3;          // RFC 5001
inline constexpr std::uint16_t kClientSubnet = 8;  // RFC 7871
inline constexpr std::uint16_t kCookie = 10;       // RFC 7873
}  // namespace edns_option

// Header flag bits within the 16-bit flags word (RFC 1035 4.1.1, RFC 4035 for AD/CD).
namespace flag {
inline constexpr std::uint16_t kQR = 0x8000;
inline constexpr std::uint16_t kAA = 0x0400;
inline constexpr std::uint16_t kTC = 0x0200;
inline constexpr std::uint16_t kRD = 0x0100;
inline constexpr std::uint16_t kRA = 0x0080;
inline constexpr std::uint16_t kAD = 0x0020;
inline constexpr std::uint16_t kCD = 0x0010;
inline constexpr std::uint16_t kOpcodeMask = 0x7800;
inline constexpr int kOpcodeShift = 11;
inline constexpr std::uint16_t kRcodeMask = 0x000F;
}  // namespace flag

inline constexpr std::uint16_t kEdnsDoBit = 0x8000;  // RFC 3225, in the OPT TTL's low 16 bits

}  // namespace fedns::dns
