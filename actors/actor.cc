// Actor loop: policy inference, repair and evaluation, records to the learner.
#include "actors/actor.h"

#include <cmath>

#include "actors/policy.h"
#include "common/rng.h"

namespace mcmpart::actors {

common::Status RunActor(const common::Config& config, std::vector<std::unique_ptr<Environment>>& envs,
                        Transport& transport, uint64_t seed) {
  Policy policy(config.policy, seed);
  for (auto& env : envs) policy.AddGraph(env->features());
  common::Rng rng(common::DeriveSeed(seed, static_cast<uint64_t>(transport.rank())));

  int64_t version = -1;
  int credits = config.actor.max_inflight;
  bool stop = false;
  std::vector<uint8_t> pending_weights;
  auto handle = [&](Message& m) {
    switch (m.type) {
      case MessageType::kWeights: pending_weights = std::move(m.payload); break;
      case MessageType::kAck: ++credits; break;
      case MessageType::kStop: stop = true; break;
      default: break;
    }
  };
  auto apply_weights = [&]() -> common::Status {
    if (pending_weights.empty()) return common::Status::Ok();
    std::vector<float> flat;
    int64_t v = 0;
    if (!DecodeWeights(pending_weights, &v, &flat)) {
      return common::Status::Error("corrupt weights message");
    }
    MCMPART_RETURN_IF_ERROR(policy.SetFlatWeights(flat));
    version = v;
    pending_weights.clear();
    return common::Status::Ok();
  };

  // Wait for the first weights (or an early stop).
  while (version < 0 && !stop) {
    Message m = transport.Receive(0);
    handle(m);
    MCMPART_RETURN_IF_ERROR(apply_weights());
  }
  size_t next_graph = 0;
  while (!stop) {
    Message m;
    while (transport.TryReceive(&m, 0)) handle(m);
    if (stop) break;
    if (credits <= 0) {
      m = transport.Receive(0);
      handle(m);
      continue;
    }
    MCMPART_RETURN_IF_ERROR(apply_weights());
    const int g = static_cast<int>(next_graph++ % envs.size());
    Environment& env = *envs[g];
    PolicySample sample = policy.Sample(g, config.actor.samples_per_message, rng);
    std::vector<EpisodeRecord> records(sample.proposals.size());
    std::vector<double> weights(env.graph().num_nodes());
    for (size_t i = 0; i < records.size(); ++i) {
      EpisodeRecord& r = records[i];
      r.rank = transport.rank();
      r.graph = g;
      r.policy_version = version;
      r.strategy = 0;
      r.value = sample.value;
      r.inference_ms = sample.inference_ms / static_cast<double>(records.size());
      // Changing a node the policy is sure about costs more (SPEC §5 weights).
      for (size_t v = 0; v < weights.size(); ++v) weights[v] = std::exp(sample.logp[i][v]);
      env.Score(sample.proposals[i], weights, &r);
      r.logp_proposal = std::move(sample.logp[i]);
      if (!r.partition.empty()) r.logp_partition = sample.NodeLogProbs(r.partition);
    }
    auto payload = std::make_shared<std::vector<uint8_t>>();
    EncodeRecords(records, payload.get());
    transport.Send(0, MessageType::kRecords, std::move(payload));
    --credits;
  }
  transport.Send(0, MessageType::kDone, nullptr);
  transport.Flush();
  return common::Status::Ok();
}

}  // namespace mcmpart::actors
