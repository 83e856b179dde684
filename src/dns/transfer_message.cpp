#include "dns/transfer_message.hpp"

#include <algorithm>
#include <cstring>

#include "dns/protocol.hpp"

namespace fedns::dns {
namespace {

constexpr std::uint16_t kPointer = 0xC000;
constexpr std::size_t kMaxPointerTarget = 0x3FFF;
constexpr std::size_t kQuestionName = kHeaderSize;

}  // namespace

TransferMessage::TransferMessage(std::span<std::uint8_t> out, std::size_t limit,
                                 std::span<const std::uint8_t> request, std::size_t question_end,
                                 std::string_view origin) noexcept
    : out_(out), limit_(std::min(limit, out.size())), origin_(origin) {
  // ID and the request's opcode and RD; QR and AA set; one question, answers counted in finish().
  const std::uint8_t header[kHeaderSize] = {
      request[0], request[1], static_cast<std::uint8_t>(0x84U | (request[2] & 0x79U)), 0, 0, 1, 0, 0, 0, 0,
      0,          0};
  (void)bytes(header, kHeaderSize);
  (void)bytes(request.data() + kHeaderSize, question_end - kHeaderSize);
}

bool TransferMessage::bytes(const void* data, std::size_t size) noexcept {
  if (limit_ - size_ < size) return false;
  if (size != 0) std::memcpy(out_.data() + size_, data, size);
  size_ += size;
  return true;
}

bool TransferMessage::u16(std::uint16_t v) noexcept {
  const std::uint8_t b[2] = {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
  return bytes(b, 2);
}

// A name under the origin: its labels above the origin, then a pointer to the question's name; the previous
// owner again: a pointer to it. Anything else is written in full.
bool TransferMessage::name(std::string_view wire, bool owner) noexcept {
  if (owner && wire == last_owner_ && last_owner_at_ <= kMaxPointerTarget)
    return u16(static_cast<std::uint16_t>(kPointer | last_owner_at_));
  const std::size_t at = size_;
  bool under_origin = false;
  if (wire.size() >= origin_.size() && wire.substr(wire.size() - origin_.size()) == origin_) {
    // Only on a label boundary (a label's octets may happen to look like the origin's tail).
    std::size_t label = 0;
    while (label < wire.size() - origin_.size())
      label += 1 + static_cast<std::uint8_t>(wire[label]);
    under_origin = label == wire.size() - origin_.size();
  }
  const bool ok = under_origin ? bytes(wire.data(), wire.size() - origin_.size()) &&
                                     u16(static_cast<std::uint16_t>(kPointer | kQuestionName))
                               : bytes(wire.data(), wire.size());
  if (ok && owner) {
    last_owner_ = wire;
    last_owner_at_ = at;
  }
  return ok;
}

bool TransferMessage::add(std::string_view owner, const model::RRset& set,
                          const model::RData& rdata) noexcept {
  const std::size_t start = size_;
  const std::string_view saved_owner = last_owner_;
  const std::size_t saved_owner_at = last_owner_at_;
  auto rollback = [&] {
    size_ = start;
    last_owner_ = saved_owner;
    last_owner_at_ = saved_owner_at;
    return false;
  };
  if (!name(owner, true) || !u16(set.type) || !u16(klass::kIN) ||
      !u16(static_cast<std::uint16_t>(set.ttl >> 16)) || !u16(static_cast<std::uint16_t>(set.ttl)) ||
      !u16(0)) {
    return rollback();
  }
  const std::size_t rdlength_at = size_ - 2;
  // The names RFC 1035 lets us compress (NS, CNAME, PTR, MX, SOA), the rest as is.
  const std::string_view wire = rdata.wire;
  std::size_t done = 0;
  for (std::uint8_t i = 0; i < rdata.compressible_names; ++i) {
    const std::size_t at = rdata.name_offsets[i];
    std::size_t end = at;
    while (end < wire.size() && wire[end] != 0)
      end += 1 + static_cast<std::uint8_t>(wire[end]);
    ++end;
    if (end > wire.size() || !bytes(wire.data() + done, at - done) || !name(wire.substr(at, end - at), false))
      return rollback();
    done = end;
  }
  if (!bytes(wire.data() + done, wire.size() - done)) return rollback();
  const std::size_t rdlength = size_ - rdlength_at - 2;
  out_[rdlength_at] = static_cast<std::uint8_t>(rdlength >> 8);
  out_[rdlength_at + 1] = static_cast<std::uint8_t>(rdlength);
  ++records_;
  return true;
}

std::size_t TransferMessage::finish() noexcept {
  out_[6] = static_cast<std::uint8_t>(records_ >> 8);
  out_[7] = static_cast<std::uint8_t>(records_);
  return size_;
}

}  // namespace fedns::dns
