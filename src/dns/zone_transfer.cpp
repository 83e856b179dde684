#include "dns/zone_transfer.hpp"

#include "dns/protocol.hpp"
#include "dns/response_builder.hpp"
#include "dns/transfer_message.hpp"
#include "dns/wire_reader.hpp"
#include "dns/zone_serials.hpp"

namespace fedns::dns {

bool is_transfer_request(std::span<const std::uint8_t> message) noexcept {
  WireReader reader(message);
  std::uint16_t id = 0;
  std::uint16_t flags = 0;
  std::uint16_t qdcount = 0;
  if (!reader.u16(id) || !reader.u16(flags) || !reader.u16(qdcount) || !reader.skip(6)) return false;
  if ((flags & flag::kQR) != 0 || ((flags & flag::kOpcodeMask) >> flag::kOpcodeShift) != opcode::kQuery ||
      qdcount != 1) {
    return false;
  }
  NameBuffer name;
  std::uint16_t qtype = 0;
  return reader.question_name(name) && reader.u16(qtype) && (qtype == type::kAXFR || qtype == type::kIXFR);
}

const char* transfer_result_name(TransferResult result) noexcept {
  switch (result) {
    case TransferResult::kFull:
      return "full";
    case TransferResult::kUpToDate:
      return "up_to_date";
    case TransferResult::kIncremental:
      return "incremental";
    case TransferResult::kRefused:
      return "refused";
    case TransferResult::kBadTsig:
      return "bad_tsig";
    case TransferResult::kNotAuth:
      return "notauth";
    case TransferResult::kNotReady:
      return "not_ready";
    case TransferResult::kMalformed:
      return "malformed";
  }
  return "unknown";
}

namespace {

// Messages of 16 KiB: every name in them is within a compression pointer's reach (14 bits), so a repeated
// owner is always two octets; 64 KiB messages were 21% larger on the wire for the same records
// (bench/README.md).
constexpr std::size_t kTransferMessageSize = 16384;

// The serial of the SOA in an IXFR request's authority section (RFC 1995 3), if it carries one.
bool requested_serial(std::span<const std::uint8_t> message, std::size_t authority, std::uint32_t& serial) {
  WireReader reader(message, authority);
  NameBuffer owner;
  std::uint16_t type = 0;
  std::uint16_t rdlength = 0;
  if (!reader.name(owner) || !reader.u16(type) || !reader.skip(6) || !reader.u16(rdlength)) return false;
  NameBuffer mname;
  NameBuffer rname;
  return type == type::kSOA && reader.name(mname) && reader.name(rname) && reader.u32(serial);
}

}  // namespace

ZoneTransfer::ZoneTransfer(std::span<const std::uint8_t> request,
                           std::shared_ptr<const ServingSnapshot> snapshot, const sockaddr* peer,
                           std::uint64_t now)
    : request_(request.begin(), request.end()), snapshot_(std::move(snapshot)), now_(now) {
  const ClientAddress client = client_address_of(peer);
  const ParseStatus status = parse_query(request_, query_);
  const std::string kind = query_.qtype == type::kIXFR ? "IXFR" : "AXFR";
  description_ = kind + " of " + (query_.question_ok ? name_to_text(query_.qname.view()) : "?") + " for " +
                 to_string(client);
  auto fail = [this](std::uint16_t rcode, TransferResult result, const std::string& why) {
    rcode_ = rcode;
    result_ = result;
    description_ += ": " + why;
    phase_ = Phase::kError;
  };
  if (status != ParseStatus::kOk) {
    fail(rcode::kFormErr, TransferResult::kMalformed, "malformed request");
    return;
  }
  if (query_.qclass != klass::kIN) {
    fail(rcode::kNotAuth, TransferResult::kNotAuth, "not class IN");
    return;
  }
  zone_ = snapshot_->zones.find_zone(query_.qname.view());
  if (zone_ == nullptr || zone_->base->origin != query_.qname.view()) {
    fail(rcode::kNotAuth, TransferResult::kNotAuth, "not a zone served here");
    return;
  }
  if (query_.tsig_offset == 0) {
    fail(rcode::kRefused, TransferResult::kRefused, "not signed (TSIG required)");
    return;
  }
  if (!parse_tsig_record(request_, query_.tsig_offset, tsig_)) {
    fail(rcode::kFormErr, TransferResult::kMalformed, "malformed TSIG record");
    return;
  }
  const TransferPolicy* policy = snapshot_->options.transfer.get();
  const std::span<const TsigKey> keys =
      policy != nullptr ? std::span<const TsigKey>(policy->keys) : std::span<const TsigKey>();
  const TsigVerdict verdict = verify_tsig_request(request_, tsig_, keys, now);
  const std::string key_text = name_to_text(tsig_.key_name.view());
  description_ += " with key " + key_text;
  if (verdict.error == tsig_error::kBadKey || verdict.error == tsig_error::kBadSig) {
    tsig_error_ = verdict.error;
    fail(rcode::kNotAuth, TransferResult::kBadTsig,
         verdict.error == tsig_error::kBadKey ? "unknown key (BADKEY)" : "wrong signature (BADSIG)");
    return;
  }
  key_ = verdict.key;
  signer_ = std::make_unique<TsigSigner>(*key_,
                                         std::span<const std::uint8_t>(verdict.mac.data(), verdict.mac_size));
  if (verdict.error == tsig_error::kBadTime) {
    tsig_error_ = verdict.error;
    fail(rcode::kNotAuth, TransferResult::kBadTsig, "signed at a time outside the fudge window (BADTIME)");
    return;
  }
  if (!policy->allows(*key_, zone_->base->origin, client)) {
    fail(rcode::kRefused, TransferResult::kRefused, "key not allowed for this zone from this address");
    return;
  }
  if (zone_->unsure_negatives) {
    fail(rcode::kServFail, TransferResult::kNotReady, "member clusters still syncing");
    return;
  }
  const model::RRset* soa = zone_->soa_set();
  if (soa == nullptr || soa->rdatas.empty()) {
    fail(rcode::kServFail, TransferResult::kNotReady, "no SOA");
    return;
  }
  phase_ = Phase::kFirstSoa;
  if (query_.qtype == type::kIXFR) {
    std::uint32_t theirs = 0;
    if (!requested_serial(request_, query_.question_end, theirs)) {
      fail(rcode::kFormErr, TransferResult::kMalformed, "IXFR without an SOA");
      return;
    }
    // RFC 1995 2: at or past our serial, our SOA alone says so. From a version we still keep, what changed
    // since; from any other, the whole zone, which RFC 1995 4 allows in place of differences.
    if (!serial_newer(soa_serial(soa->rdatas.front().wire), theirs)) {
      result_ = TransferResult::kUpToDate;
      phase_ = Phase::kLastSoa;
      return;
    }
    if (zone_->history == nullptr) return;
    for (const auto& version : *zone_->history) {
      if (version.serial != theirs || version.base != zone_->base || version.soa == nullptr) continue;
      diff_ = diff_generated(*zone_->base, version.generated.get(), zone_->generated.get());
      old_soa_ = version.soa;
      result_ = TransferResult::kIncremental;
      description_ += " from serial " + std::to_string(theirs);
      break;
    }
  }
}

std::size_t ZoneTransfer::error_message(std::span<std::uint8_t> out) noexcept {
  ResponseBuilder response(out, kMaxMessage);
  response.begin(query_, request_);
  response.set_rcode(rcode_);
  std::size_t size = response.finish(nullptr);
  if (query_.tsig_offset == 0 || tsig_.offset == 0) return size;
  if (signer_ != nullptr) return signer_->sign(out, size, now_, tsig_error_);  // BADTIME, or signed refusals
  return append_tsig_error(out, size, tsig_, tsig_error_, now_);
}

bool ZoneTransfer::current_record(const model::Node*& node, const model::RRset*& set,
                                  std::uint16_t& index) noexcept {
  const model::Zone& base = *zone_->base;
  // Finds the next record of `n` at or after (set_, record_); last-resort records are answered only when
  // nothing else is up, so they are not zone data a secondary could serve.
  auto in_node = [&](const model::Node& n, bool apex) {
    for (; set_ < n.rrsets.size(); ++set_, record_ = 0) {
      const model::RRset& s = n.rrsets[set_];
      if (apex && s.type == type::kSOA) continue;
      for (; record_ < s.rdatas.size(); ++record_) {
        if (s.rdatas[record_].tier == model::kLastResortTier) continue;
        node = &n;
        set = &s;
        index = static_cast<std::uint16_t>(record_);
        return true;
      }
    }
    return false;
  };
  if (phase_ == Phase::kBase) {
    for (; node_ < base.nodes.size(); ++node_, set_ = 0, record_ = 0) {
      if (in_node(base.nodes[node_], node_ == base.apex)) return true;
    }
    phase_ = Phase::kGenerated;
    node_ = set_ = record_ = 0;
  }
  if (phase_ != Phase::kGenerated || zone_->generated == nullptr) return false;
  for (; shard_ < model::GeneratedNames::kShards; ++shard_, node_ = 0) {
    const model::NameShard* shard = zone_->generated->shard(shard_);
    if (shard == nullptr) continue;
    for (; node_ < shard->nodes.size(); ++node_, set_ = 0, record_ = 0) {
      const model::Node& n = shard->nodes[node_];
      // A configured name with records shadows a generated one (as in answers).
      if (const model::Node* configured = base.find(n.name);
          configured != nullptr && !configured->rrsets.empty())
        continue;
      if (in_node(n, false)) return true;
    }
  }
  return false;
}

void ZoneTransfer::advance() noexcept {
  ++record_;
}

std::size_t ZoneTransfer::next(std::span<std::uint8_t> out) noexcept {
  if (phase_ == Phase::kDone) return 0;
  if (phase_ == Phase::kError) {
    phase_ = Phase::kDone;
    ++messages_;
    return error_message(out);
  }
  TransferMessage message(out, kTransferMessageSize - tsig_record_size(*key_), request_, query_.question_end,
                          zone_->base->origin);
  const model::RRset& soa = *zone_->soa_set();
  const std::string_view origin = zone_->base->origin;
  // Adds one record; false when the message is full (it starts the next one).
  auto add = [&](std::string_view owner, const model::RRset& set, std::uint16_t index) {
    if (!message.add(owner, set, set.rdatas[index])) return false;
    ++records_;
    return true;
  };
  while (phase_ != Phase::kDone) {
    switch (phase_) {
      case Phase::kFirstSoa:
        if (!add(origin, soa, 0)) return finish(message, out);
        phase_ = result_ == TransferResult::kIncremental ? Phase::kOldSoa : Phase::kBase;
        break;
      case Phase::kOldSoa:
        if (!add(origin, *old_soa_, 0)) return finish(message, out);
        phase_ = Phase::kDeleted;
        break;
      case Phase::kDeleted:
      case Phase::kAdded: {
        const auto& list = phase_ == Phase::kDeleted ? diff_.deleted : diff_.added;
        if (record_ == list.size()) {
          phase_ = phase_ == Phase::kDeleted ? Phase::kMidSoa : Phase::kLastSoa;
          record_ = 0;
          break;
        }
        const RecordRef& r = list[record_];
        if (!add(r.node->name, *r.set, r.index)) return finish(message, out);
        ++record_;
        break;
      }
      case Phase::kMidSoa:
        if (!add(origin, soa, 0)) return finish(message, out);
        phase_ = Phase::kAdded;
        break;
      case Phase::kLastSoa:
        if (!add(origin, soa, 0)) return finish(message, out);
        phase_ = Phase::kDone;
        break;
      default: {
        const model::Node* node = nullptr;
        const model::RRset* set = nullptr;
        std::uint16_t index = 0;
        if (!current_record(node, set, index)) {
          phase_ = Phase::kLastSoa;
          break;
        }
        if (!add(node->name, *set, index)) {
          if (message.records() != 0) return finish(message, out);
          advance();  // cannot fit even alone (impossible within 64 KiB records); never loop on it
          break;
        }
        advance();
        break;
      }
    }
  }
  return finish(message, out);
}

std::size_t ZoneTransfer::finish(TransferMessage& message, std::span<std::uint8_t> out) noexcept {
  const std::size_t size = message.finish();
  ++messages_;
  return signer_->sign(out, size, now_);
}

}  // namespace fedns::dns
