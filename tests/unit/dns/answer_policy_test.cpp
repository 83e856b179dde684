// The policy steps one by one and chained (issue 6 section 2), table-driven with a scripted random source;
// the weighted draw checked statistically over a bounded sample with the real generator.
#include "dns/answer_policy.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace fedns::dns {
namespace {

using model::PolicyStep;
using model::PolicyStepKind;

// Returns its values in turn, again from the start when they run out.
class ScriptedRandom final : public PolicyRandom {
 public:
  explicit ScriptedRandom(std::vector<std::uint64_t> values) : values_(std::move(values)) {}
  std::uint64_t next() noexcept override { return values_[at_++ % values_.size()]; }

 private:
  std::vector<std::uint64_t> values_;
  std::size_t at_ = 0;
};

// Three clusters: east (eu/eu-1, Frankfurt), north (eu/eu-2, Stockholm), west (us/us-1, Virginia); clients
// placed by the table: 10.1/16 in eu-1 at London, 10.2/16 in eu-2, 10.3/16 in us-1 at New York; 10.100/16 is
// east's pod network.
class AnswerPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ClientLocator::Config where;
    where.table = {{"10.1.0.0/16", "eu", "eu-1", ClientLocator::Config::Coordinates{51.5F, -0.1F}},
                   {"10.2.0.0/16", "eu", "eu-2", std::nullopt},
                   {"10.3.0.0/16", "us", "us-1", ClientLocator::Config::Coordinates{40.7F, -74.0F}}};
    where.clusters = {{"east", "eu", "eu-1", {"10.100.0.0/16"}, std::nullopt},
                      {"north", "eu", "eu-2", {}, std::nullopt},
                      {"west", "us", "us-1", {}, std::nullopt}};
    where.latency = {{"eu", "us", 80}};
    auto built = ClientLocator::build(where);
    ASSERT_TRUE(built) << built.error().message;
    locator_ = std::make_unique<ClientLocator>(std::move(built.value()));

    const char* names[] = {"east", "north", "west"};
    const char* regions[] = {"eu", "eu", "us"};
    const char* zones[] = {"eu-1", "eu-2", "us-1"};
    const float coordinates[][2] = {{50.1F, 8.7F}, {59.3F, 18.1F}, {38.9F, -77.0F}};
    set_.type = 1;
    set_.ttl = 30;
    for (std::uint8_t i = 0; i < 3; ++i) {
      model::RData r;
      r.wire = std::string{char(192), 0, 2, char(1 + i)};
      r.cluster = locator_->id(names[i]);
      r.region = locator_->id(regions[i]);
      r.zone = locator_->id(zones[i]);
      r.health_target = i;
      set_.rdatas.push_back(r);
      if (policy_.clusters.size() <= r.cluster) policy_.clusters.resize(r.cluster + 1U);
      model::PolicyCluster& traits = policy_.clusters[r.cluster];
      traits.set_coordinates(coordinates[i][0], coordinates[i][1]);
    }
  }

  model::PolicyCluster& traits(const char* cluster) { return policy_.clusters[locator_->id(cluster)]; }

  // The clusters answered (by their last octet: 1 east, 2 north, 3 west) for a client at `client`.
  std::string run(std::vector<PolicyStep> steps, const char* client = "192.168.0.1",
                  PolicyRandom* random = nullptr, const model::HealthTable* health = nullptr,
                  std::vector<std::uint16_t> candidates = {0, 1, 2}) {
    policy_.steps = std::move(steps);
    in_cluster_ = ClientContext(locator_.get(), address(client));
    Candidates c;
    for (const auto index : candidates)
      c.push(index);
    apply_policy(set_, policy_, c, {health, &in_cluster_, random, nullptr});
    std::string out;
    for (const auto index : c.view())
      out += "enw"[index];
    return out;
  }

  static ClientAddress address(const char* text) { return ClientAddress::parse(text).value(); }

  static PolicyStep step(PolicyStepKind kind, std::uint16_t count = 1, float within = 0) {
    PolicyStep s;
    s.kind = kind;
    s.count = count;
    s.within = within;
    return s;
  }

  std::unique_ptr<ClientLocator> locator_;
  model::RRset set_;
  model::AnswerPolicy policy_;
  ClientContext in_cluster_;
};

TEST_F(AnswerPolicyTest, LocalityPrefersTheClientsClusterThenZoneThenRegion) {
  const auto locality = step(PolicyStepKind::kLocality);
  EXPECT_EQ(run({locality}, "10.100.3.4"), "e") << "a pod in east";
  EXPECT_EQ(run({locality}, "10.2.0.9"), "n") << "a client in eu-2";
  EXPECT_EQ(run({locality}, "10.3.0.9"), "w") << "a client in us-1";
  EXPECT_EQ(run({locality}, "10.2.0.9", nullptr, nullptr, {0, 2}), "e") << "north is down: its region";
  EXPECT_EQ(run({locality}, "10.3.0.9", nullptr, nullptr, {0, 1}), "en") << "west is down: anywhere";
  EXPECT_EQ(run({locality}, "192.168.0.1"), "enw") << "an unplaced client: the step cannot decide";
  EXPECT_TRUE(in_cluster_.depends()) << "the answer depended on where the client is (or is not)";
}

TEST_F(AnswerPolicyTest, GeoNearestMeasuresGreatCircleDistance) {
  EXPECT_NEAR(distance_km(51.5F, -0.1F, 40.7F, -74.0F), 5570, 20) << "London - New York";
  EXPECT_NEAR(distance_km(0, 0, 0, 180), 20015, 5) << "half the equator";
  EXPECT_FLOAT_EQ(distance_km(10, 10, 10, 10), 0);

  EXPECT_EQ(run({step(PolicyStepKind::kGeoNearest)}, "10.1.0.9"), "e") << "London: Frankfurt";
  EXPECT_EQ(run({step(PolicyStepKind::kGeoNearest)}, "10.3.0.9"), "w") << "New York: Virginia";
  // London - Frankfurt ~640 km, London - Stockholm ~1430 km: a 1000 km slack keeps both.
  EXPECT_EQ(run({step(PolicyStepKind::kGeoNearest, 1, 1000)}, "10.1.0.9"), "en");
  EXPECT_EQ(run({step(PolicyStepKind::kGeoNearest)}, "10.2.0.9"), "enw") << "eu-2 has no coordinates";
  EXPECT_EQ(run({step(PolicyStepKind::kGeoNearest)}, "10.1.0.9", nullptr, nullptr, {1, 2}), "n")
      << "east is down: the next nearest";
  // A pod in east has no coordinates of its own: its cluster's count.
  EXPECT_EQ(run({step(PolicyStepKind::kGeoNearest)}, "10.100.0.1"), "e");
  traits("east").has_coordinates = false;
  EXPECT_EQ(run({step(PolicyStepKind::kGeoNearest)}, "10.1.0.9"), "n") << "unknown distance counts as far";
}

TEST_F(AnswerPolicyTest, LatencyFromTheRegionMatrixOrMeasuredRtt) {
  PolicyStep matrix = step(PolicyStepKind::kLatency);
  EXPECT_EQ(run({matrix}, "10.1.0.9"), "en") << "eu -> eu 0 ms, eu -> us 80 ms";
  EXPECT_EQ(run({matrix}, "10.3.0.9"), "w") << "the reverse direction defaults to the given one";
  matrix.within = 100;
  EXPECT_EQ(run({matrix}, "10.3.0.9"), "enw");
  EXPECT_EQ(run({step(PolicyStepKind::kLatency)}, "192.168.0.1"), "enw") << "no region: cannot decide";

  PolicyStep measured = step(PolicyStepKind::kLatency);
  measured.latency = model::LatencySource::kMeasured;
  std::vector<model::TargetStatus> statuses(3);
  statuses[0].rtt_us = 5000;
  statuses[1].rtt_us = 2000;
  statuses[2].rtt_us = 90000;
  const model::HealthTable table(statuses, 1);
  EXPECT_EQ(run({measured}, "192.168.0.1", nullptr, &table), "n");
  measured.within = 5;
  EXPECT_EQ(run({measured}, "192.168.0.1", nullptr, &table), "en");
  EXPECT_FALSE(in_cluster_.depends()) << "measured from this replica: the same for every client";
  EXPECT_EQ(run({measured}, "192.168.0.1", nullptr, nullptr), "enw") << "nothing measured yet";
}

TEST_F(AnswerPolicyTest, PriorityAnswersTheLowestTierPresentAndUnlistedClustersComeLast) {
  traits("east").priority = 1;
  traits("north").priority = 2;
  const auto priority = step(PolicyStepKind::kPriority);
  EXPECT_EQ(run({priority}), "e");
  EXPECT_EQ(run({priority}, "192.168.0.1", nullptr, nullptr, {1, 2}), "n") << "east is down";
  EXPECT_EQ(run({priority}, "192.168.0.1", nullptr, nullptr, {2}), "w") << "only the unlisted one is left";
  traits("north").priority = 1;
  EXPECT_EQ(run({priority}), "en") << "one tier, two clusters";
}

TEST_F(AnswerPolicyTest, WeightedDrawsNOfMByWeightWithoutReplacement) {
  traits("east").weight = 3;
  traits("north").weight = 1;
  traits("west").weight = 0;
  // Draw 1 over weights 3,1,0 (total 4): 3 -> north; draw 2 over east, west (total 3): 0 -> east.
  ScriptedRandom script({3, 0});
  EXPECT_EQ(run({step(PolicyStepKind::kWeighted, 2)}, "192.168.0.1", &script), "ne");
  ScriptedRandom first({0});
  EXPECT_EQ(run({step(PolicyStepKind::kWeighted, 3)}, "192.168.0.1", &first), "enw")
      << "a zero weight is drawn only when nothing else is left";
  ScriptedRandom any({5});
  EXPECT_EQ(run({step(PolicyStepKind::kWeighted, 1)}, "192.168.0.1", &any, nullptr, {2}), "w")
      << "zero weights alone: drawn uniformly rather than answering nothing";
}

TEST_F(AnswerPolicyTest, WeightedSharesMatchTheWeightsOverABoundedSample) {
  traits("east").weight = 6;
  traits("north").weight = 3;
  traits("west").weight = 1;
  SplitMixRandom random(20261127);
  std::map<char, int> first;
  std::map<std::string, int> pairs;
  constexpr int kSamples = 30000;
  for (int i = 0; i < kSamples; ++i) {
    const std::string answer = run({step(PolicyStepKind::kWeighted, 2)}, "192.168.0.1", &random);
    ASSERT_EQ(answer.size(), 2u);
    ++first[answer[0]];
    ++pairs[std::string{std::min(answer[0], answer[1]), std::max(answer[0], answer[1])}];
  }
  // Pearson's chi-square of the first record against 6:3:1, two degrees of freedom: 13.8 is p = 0.001.
  const std::map<char, double> expected = {{'e', 0.6}, {'n', 0.3}, {'w', 0.1}};
  double chi2 = 0;
  for (const auto& [cluster, share] : expected) {
    const double e = share * kSamples;
    chi2 += (first[cluster] - e) * (first[cluster] - e) / e;
  }
  EXPECT_LT(chi2, 13.8) << "east " << first['e'] << " north " << first['n'] << " west " << first['w'];
  // Without replacement, the pair {east, north} comes up 0.6*0.75 + 0.3*0.857 = 70.7% of the time.
  EXPECT_NEAR(pairs["en"] / double(kSamples), 0.707, 0.015);
}

TEST_F(AnswerPolicyTest, StickyKeepsASubnetOnItsRecordsAndMovesOnlyTheClientsOfARecordThatLeaves) {
  const auto sticky = step(PolicyStepKind::kSticky);
  EXPECT_EQ(run({sticky}, "10.9.4.1"), run({sticky}, "10.9.4.200")) << "one /24, one answer";
  EXPECT_EQ(in_cluster_.scope(), 24) << "the ECS scope: the hashed prefix";
  std::map<char, int> spread;
  int moved = 0;
  for (int subnet = 0; subnet < 600; ++subnet) {
    const std::string client =
        "10." + std::to_string(subnet / 256) + "." + std::to_string(subnet % 256) + ".1";
    const std::string all = run({sticky}, client.c_str());
    ++spread[all[0]];
    const std::string without_west = run({sticky}, client.c_str(), nullptr, nullptr, {0, 1});
    if (all != "w" && without_west != all) ++moved;
  }
  for (const char cluster : {'e', 'n', 'w'})
    EXPECT_GT(spread[cluster], 120) << "600 subnets spread over three records: " << cluster;
  EXPECT_EQ(moved, 0) << "west leaving moves only west's clients";
}

TEST_F(AnswerPolicyTest, RoundRobinRotatesAndMaxAnswersCuts) {
  ScriptedRandom one({1});
  EXPECT_EQ(run({step(PolicyStepKind::kRoundRobin)}, "192.168.0.1", &one), "nwe");
  ScriptedRandom two({2});
  EXPECT_EQ(
      run({step(PolicyStepKind::kRoundRobin), step(PolicyStepKind::kMaxAnswers, 2)}, "192.168.0.1", &two),
      "we");
  EXPECT_EQ(run({step(PolicyStepKind::kMaxAnswers, 5)}), "enw");
}

TEST_F(AnswerPolicyTest, StepsChainInOrder) {
  traits("east").weight = 1;
  traits("north").weight = 1;
  traits("west").weight = 1000;
  ScriptedRandom script({1});
  // Locality first: an eu-1 client's own zone, then the region; west's weight never comes into it.
  EXPECT_EQ(run({step(PolicyStepKind::kLocality), step(PolicyStepKind::kWeighted, 1)}, "10.1.0.1", &script),
            "e");
  // Weighted first: west nearly always; max-answers then keeps one.
  ScriptedRandom low({0});
  EXPECT_EQ(run({step(PolicyStepKind::kWeighted, 3), step(PolicyStepKind::kMaxAnswers, 1)}, "10.1.0.1", &low),
            "e")
      << "r = 0 draws the first record in set order";
}

// What the trace sees: each step's candidates before and after, what it measured, why it did nothing.
class RecordingTrace final : public PolicyTrace {
 public:
  void begin_set(std::string_view, const model::RRset&, const Candidates&) override {}
  void end_set(const model::RRset&, const Candidates&, std::uint32_t) override {}
  void step(const model::PolicyStep& step, const model::RRset&, const Candidates& before,
            std::span<const float> values, const Candidates& after, std::string_view note) override {
    lines.push_back(std::string(model::step_name(step.kind)) + " " + std::to_string(before.size) + "->" +
                    std::to_string(after.size) + " values " + std::to_string(values.size()) +
                    (note.empty() ? "" : " (" + std::string(note) + ")"));
  }
  std::vector<std::string> lines;
};

TEST_F(AnswerPolicyTest, TheTraceSeesEveryStep) {
  policy_.steps = {step(PolicyStepKind::kGeoNearest), step(PolicyStepKind::kLocality),
                   step(PolicyStepKind::kMaxAnswers, 1)};
  ClientContext client(locator_.get(), address("10.2.0.1"));
  RecordingTrace trace;
  Candidates c;
  for (std::uint16_t i = 0; i < 3; ++i)
    c.push(i);
  apply_policy(set_, policy_, c, {nullptr, &client, nullptr, &trace});
  EXPECT_EQ(trace.lines, (std::vector<std::string>{"geo-nearest 3->3 values 0 (client has no coordinates)",
                                                   "locality 3->1 values 3", "max-answers 1->1 values 0"}));
}

// The metric of policy decisions (fedns_dns_policy_steps_total): each step run counts once, as narrowed when
// it took records out, else as kept_all (a reorder, or a step that could not decide).
TEST_F(AnswerPolicyTest, EveryStepRunIsCountedAsNarrowedOrKeptAll) {
  policy_.steps = {step(PolicyStepKind::kGeoNearest), step(PolicyStepKind::kLocality),
                   step(PolicyStepKind::kRoundRobin), step(PolicyStepKind::kMaxAnswers, 1)};
  ClientContext client(locator_.get(), address("10.2.0.1"));
  PolicyStepCounters counters;
  ScriptedRandom random({0, 0});
  for (int round = 0; round < 2; ++round) {
    Candidates c;
    for (std::uint16_t i = 0; i < 3; ++i)
      c.push(i);
    apply_policy(set_, policy_, c, {nullptr, &client, &random, nullptr, &counters});
  }
  const auto at = [](PolicyStepKind kind) { return static_cast<std::size_t>(kind); };
  EXPECT_EQ(counters.kept_all[at(PolicyStepKind::kGeoNearest)].get(), 2U) << "no coordinates: kept all";
  EXPECT_EQ(counters.narrowed[at(PolicyStepKind::kLocality)].get(), 2U) << "3 -> 1";
  // Locality left one record: round-robin and max-answers keep it (kept_all), never narrowing.
  EXPECT_EQ(counters.kept_all[at(PolicyStepKind::kRoundRobin)].get(), 2U);
  EXPECT_EQ(counters.kept_all[at(PolicyStepKind::kMaxAnswers)].get(), 2U);
  EXPECT_EQ(counters.narrowed[at(PolicyStepKind::kMaxAnswers)].get(), 0U);
  EXPECT_EQ(counters.narrowed[at(PolicyStepKind::kWeighted)].get() +
                counters.kept_all[at(PolicyStepKind::kWeighted)].get(),
            0U)
      << "a step that is not in the policy is never counted";
  // Without counters (explain, tests) nothing is counted and nothing breaks.
  Candidates c;
  c.push(0);
  apply_policy(set_, policy_, c, {nullptr, &client, nullptr, nullptr, nullptr});
}

}  // namespace
}  // namespace fedns::dns
