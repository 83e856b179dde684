// CHAOS-class server identification answers (RFC 4892), built without allocation.
#include "dns/chaos_answer.hpp"

#include <string_view>

namespace fedns::dns {
namespace {

using namespace std::string_view_literals;
constexpr std::string_view kIdServer = "\x02id\x06server\x00"sv;
constexpr std::string_view kHostnameBind =
    "\x08hostname\x04"
    "bind\x00"sv;
constexpr std::string_view kVersionBind =
    "\x07version\x04"
    "bind\x00"sv;
constexpr std::string_view kVersionServer = "\x07version\x06server\x00"sv;

}  // namespace

void answer_chaos(const Query& query, const AnswerOptions& options, ResponseBuilder& response) noexcept {
  const std::string_view name = query.qname.view();
  std::string_view text;
  if (name == kIdServer || name == kHostnameBind) {
    text = options.identity;
  } else if (name == kVersionBind || name == kVersionServer) {
    text = options.version;
  }
  if (text.empty() || (query.qtype != type::kTXT && query.qtype != type::kANY)) {
    response.set_rcode(rcode::kRefused);
    return;
  }
  // TXT RDATA: the string cut into <character-string>s of at most 255 octets (RFC 1035 3.3.14).
  std::uint8_t rdata[1024];
  std::size_t size = 0;
  for (std::size_t done = 0; done < text.size() && size + 256 <= sizeof rdata;) {
    const std::size_t chunk = std::min<std::size_t>(255, text.size() - done);
    rdata[size++] = static_cast<std::uint8_t>(chunk);
    for (std::size_t i = 0; i < chunk; ++i)
      rdata[size++] = static_cast<std::uint8_t>(text[done + i]);
    done += chunk;
  }
  response.set_flags(flag::kAA);
  if (!response.add_record(Section::kAnswer, name, type::kTXT, klass::kCH, 0, {rdata, size}))
    response.truncate();
}

}  // namespace fedns::dns
