// A tiny BERT on an 8-chip ring and its policy features, shared by the policy tests.
#pragma once

#include "actors/features.h"
#include "common/bert.h"
#include "common/graph.h"
#include "hw/hardware.h"

namespace mcmpart::policy {

struct Fixture {
  common::Graph graph = common::MakeBert(common::BertConfig{1, 32, 2, 8}, "tiny");
  hw::Hardware hw = *hw::MakePreset("mcm8-ring");
  actors::GraphFeatures features = actors::BuildFeatures(graph, hw);
};

}  // namespace mcmpart::policy
