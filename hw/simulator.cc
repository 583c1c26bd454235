// Cycle-level chiplet simulator (SPEC §4): discrete events over chips' compute units and links.
#include "hw/simulator.h"

#include <algorithm>
#include <cassert>
#include <nlohmann/json.hpp>

#include "hw/constraints.h"
#include "hw/cut_tensors.h"
#include "hw/op_cost.h"

namespace mcmpart::hw {

using common::Graph;
using common::Partition;
using common::Status;

Status ValidateSimOptions(const SimOptions& options) {
  if (options.warmup < 0) {
    return Status::Error("simulator warmup must be ≥ 0, got " + std::to_string(options.warmup));
  }
  if (options.samples < options.warmup + 2) {
    return Status::Error(
        "simulator samples must be at least warmup + 2 = " + std::to_string(options.warmup + 2) +
        ", got " + std::to_string(options.samples));
  }
  if (options.samples > 4096) {
    return Status::Error("simulator samples must be at most 4096, got " +
                         std::to_string(options.samples));
  }
  return Status::Ok();
}

CycleSimulator::CycleSimulator(const Graph& graph, const Hardware& hw, const SimOptions& options)
    : graph_(graph), hw_(hw), options_(options), n_(graph.num_nodes()), k_(hw.num_chips) {
  assert(graph.finalized());
  assert(ValidateSimOptions(options).ok());
  op_s_.resize(n_);
  hop_s_.resize(n_);
  send_bytes_.resize(n_);
  for (int v = 0; v < n_; ++v) {
    op_s_[v] = hw::OpSeconds(graph.nodes[v], hw);
    send_bytes_[v] = graph.SendBytes(v);
    hop_s_[v] = SendSeconds(graph, v, hw);
  }
  const auto links = hw.Links();
  for (const auto& [a, b] : links)
    link_names_.push_back(std::to_string(a) + "->" + std::to_string(b));
  route_begin_.assign(k_ * k_ + 1, 0);
  for (int a = 0; a < k_; ++a) {
    for (int b = 0; b < k_; ++b) {
      route_begin_[a * k_ + b] = static_cast<int>(route_links_.size());
      for (int link : hw.Route(a, b)) route_links_.push_back(link);
    }
  }
  route_begin_[k_ * k_] = static_cast<int>(route_links_.size());
  chip_free_.resize(k_);
  link_free_.resize(links.size());
  done_.resize(options_.samples);
  head_sample_.resize(k_);
  head_index_.resize(k_);
}

void CycleSimulator::BuildSchedule(const Partition& p) {
  // Ops per chip in topological order (counting sort by chip).
  chip_begin_.assign(k_ + 1, 0);
  for (int v = 0; v < n_; ++v) ++chip_begin_[p[v] + 1];
  for (int c = 0; c < k_; ++c) chip_begin_[c + 1] += chip_begin_[c];
  chip_ops_.resize(n_);
  head_index_.assign(chip_begin_.begin(), chip_begin_.end() - 1);  // used as fill cursors here
  for (int v : graph_.topo_order()) chip_ops_[head_index_[p[v]]++] = v;

  // One transfer slot per (producer, receiving chip).
  out_begin_.resize(n_ + 1);
  out_slots_.clear();
  slot_src_.clear();
  slot_dst_.clear();
  CutTensors cut(graph_, p, k_);
  for (int u = 0; u < n_; ++u) {
    out_begin_[u] = static_cast<int>(out_slots_.size());
    cut.ForEachReceiver(u, [&](int c) {
      out_slots_.push_back(static_cast<int>(slot_src_.size()));
      slot_src_.push_back(u);
      slot_dst_.push_back(c);
    });
  }
  out_begin_[n_] = static_cast<int>(out_slots_.size());
  num_slots_ = static_cast<int>(slot_src_.size());

  // Inputs: a local producer, or the slot that brings a remote producer's tensor.
  in_begin_.resize(n_ + 1);
  in_items_.clear();
  for (int v = 0; v < n_; ++v) {
    in_begin_[v] = static_cast<int>(in_items_.size());
    for (int e : graph_.in_edges()[v]) {
      const int u = graph_.edges[e].src;
      if (p[u] == p[v]) {
        in_items_.push_back(u);
        continue;
      }
      int slot = -1;
      for (int i = out_begin_[u]; i < out_begin_[u + 1]; ++i) {
        if (slot_dst_[out_slots_[i]] == p[v]) slot = out_slots_[i];
      }
      assert(slot >= 0);
      in_items_.push_back(-1 - slot);
    }
  }
  in_begin_[n_] = static_cast<int>(in_items_.size());
}

void CycleSimulator::Push(double t, int slot, int hop, int sample) {
  heap_.push_back({t, seq_++, slot, hop, sample});
  std::push_heap(heap_.begin(), heap_.end(), [](const Event& a, const Event& b) {
    return a.t > b.t || (a.t == b.t && a.seq > b.seq);
  });
}

// Runs chip `chip` as far as its inputs are known. Every op it starts begins no earlier than
// the event being processed, so the events it pushes keep the simulation in time order.
void CycleSimulator::Advance(int chip, SimTrace* trace) {
  const int begin = chip_begin_[chip];
  const int len = chip_begin_[chip + 1] - begin;
  if (len == 0) return;
  const int num_samples = options_.samples;
  int s = head_sample_[chip], i = head_index_[chip];
  double free = chip_free_[chip];
  while (s < num_samples) {
    const int v = chip_ops_[begin + i];
    const double* fin = &finish_[static_cast<size_t>(s) * n_];
    const double* arr = arrive_.data() + static_cast<size_t>(s) * num_slots_;
    double ready = free;
    bool blocked = false;
    for (int j = in_begin_[v]; j < in_begin_[v + 1]; ++j) {
      const int item = in_items_[j];
      const double t = item >= 0 ? fin[item] : arr[-1 - item];
      if (t < 0) {
        blocked = true;
        break;
      }
      ready = std::max(ready, t);
    }
    if (blocked) break;
    const double end = ready + op_s_[v];
    finish_[static_cast<size_t>(s) * n_ + v] = end;
    free = end;
    done_[s] = std::max(done_[s], end);
    if (trace) trace->events.push_back({true, chip, s, v, chip, ready, end});
    for (int j = out_begin_[v]; j < out_begin_[v + 1]; ++j) Push(end, out_slots_[j], 0, s);
    if (++i == len) {
      i = 0;
      ++s;
    }
  }
  head_sample_[chip] = s;
  head_index_[chip] = i;
  chip_free_[chip] = free;
}

Metrics CycleSimulator::Evaluate(const Partition& p) { return Simulate(p, nullptr); }

Metrics CycleSimulator::Simulate(const Partition& p, SimTrace* trace) {
  assert(static_cast<int>(p.size()) == n_);
  if (trace) trace->events.clear();
  BuildSchedule(p);
  const int num_samples = options_.samples;
  finish_.assign(static_cast<size_t>(num_samples) * n_, -1.0);
  arrive_.assign(static_cast<size_t>(num_samples) * num_slots_, -1.0);
  std::fill(chip_free_.begin(), chip_free_.end(), 0.0);
  std::fill(link_free_.begin(), link_free_.end(), 0.0);
  std::fill(done_.begin(), done_.end(), 0.0);
  std::fill(head_sample_.begin(), head_sample_.end(), 0);
  std::fill(head_index_.begin(), head_index_.end(), 0);
  heap_.clear();
  seq_ = 0;

  for (int c = 0; c < k_; ++c) Advance(c, trace);
  const auto later = [](const Event& a, const Event& b) {
    return a.t > b.t || (a.t == b.t && a.seq > b.seq);
  };
  while (!heap_.empty()) {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    const Event ev = heap_.back();
    heap_.pop_back();
    const int u = slot_src_[ev.slot];
    const int dst = slot_dst_[ev.slot];
    const int route = route_begin_[p[u] * k_ + dst];
    const int link = route_links_[route + ev.hop];
    const double start = std::max(ev.t, link_free_[link]);
    const double end = start + hop_s_[u];
    link_free_[link] = end;
    if (trace) trace->events.push_back({false, link, ev.sample, u, dst, start, end});
    if (route + ev.hop + 1 < route_begin_[p[u] * k_ + dst + 1]) {
      Push(end, ev.slot, ev.hop + 1, ev.sample);
    } else {
      arrive_[static_cast<size_t>(ev.sample) * num_slots_ + ev.slot] = end;
      Advance(dst, trace);
    }
  }
#ifndef NDEBUG
  for (int c = 0; c < k_; ++c)
    assert(head_sample_[c] == num_samples || chip_begin_[c] == chip_begin_[c + 1]);
#endif

  Metrics m;
  m.chip_busy_s.assign(k_, 0.0);
  for (int v = 0; v < n_; ++v) m.chip_busy_s[p[v]] += op_s_[v];
  m.link_names = link_names_;
  m.link_bytes.assign(link_names_.size(), 0.0);
  m.link_busy_s.assign(link_names_.size(), 0.0);
  for (int slot = 0; slot < num_slots_; ++slot) {
    const int u = slot_src_[slot];
    const int a = p[u] * k_ + slot_dst_[slot];
    for (int r = route_begin_[a]; r < route_begin_[a + 1]; ++r) {
      m.link_bytes[route_links_[r]] += static_cast<double>(send_bytes_[u]);
      m.link_busy_s[route_links_[r]] += hop_s_[u];
    }
  }
  const int warmup = options_.warmup;
  m.time_per_sample_s = (done_[num_samples - 1] - done_[warmup]) / (num_samples - 1 - warmup);
  m.throughput = m.time_per_sample_s > 0 ? 1.0 / m.time_per_sample_s : 0.0;
  m.latency_s = done_[0];

  int worst_chip = static_cast<int>(std::max_element(m.chip_busy_s.begin(), m.chip_busy_s.end()) -
                                    m.chip_busy_s.begin());
  m.bottleneck = "chip " + std::to_string(worst_chip);
  double worst = m.chip_busy_s[worst_chip];
  for (size_t l = 0; l < m.link_busy_s.size(); ++l) {
    if (m.link_busy_s[l] > worst) {
      worst = m.link_busy_s[l];
      m.bottleneck = "link " + link_names_[l];
    }
  }
  SramUse use = ComputeSramUse(graph_, k_, p);
  m.chip_sram_bytes.resize(k_);
  for (int c = 0; c < k_; ++c) m.chip_sram_bytes[c] = use.total(c);
  return m;
}

common::StatusOr<std::unique_ptr<CycleSimulator>> MakeCycleEvaluator(const Graph& graph,
                                                                     const Hardware& hw,
                                                                     const SimOptions& options) {
  MCMPART_RETURN_IF_ERROR(ValidateSimOptions(options));
  return std::make_unique<CycleSimulator>(graph, hw, options);
}

std::string TraceToChromeJson(const Graph& graph, const Hardware& hw, const SimTrace& trace) {
  using nlohmann::json;
  json events = json::array();
  const auto links = hw.Links();
  events.push_back(
      {{"name", "process_name"}, {"ph", "M"}, {"pid", 0}, {"args", {{"name", "chips"}}}});
  events.push_back(
      {{"name", "process_name"}, {"ph", "M"}, {"pid", 1}, {"args", {{"name", "links"}}}});
  for (int c = 0; c < hw.num_chips; ++c) {
    events.push_back({{"name", "thread_name"},
                      {"ph", "M"},
                      {"pid", 0},
                      {"tid", c},
                      {"args", {{"name", "chip " + std::to_string(c)}}}});
  }
  for (size_t l = 0; l < links.size(); ++l) {
    events.push_back({{"name", "thread_name"},
                      {"ph", "M"},
                      {"pid", 1},
                      {"tid", l},
                      {"args",
                       {{"name", "link " + std::to_string(links[l].first) + "->" +
                                     std::to_string(links[l].second)}}}});
  }
  for (const TraceEvent& e : trace.events) {
    const common::Node& node = graph.nodes[e.node];
    json ev = {{"ph", "X"},
               {"pid", e.is_op ? 0 : 1},
               {"tid", e.resource},
               {"ts", e.start_s * 1e6},
               {"dur", (e.end_s - e.start_s) * 1e6}};
    if (e.is_op) {
      ev["name"] = node.name;
      ev["cat"] = "op";
      ev["args"] = {{"sample", e.sample}, {"op", node.op}};
    } else {
      ev["name"] = node.name + " -> chip " + std::to_string(e.dst_chip);
      ev["cat"] = "transfer";
      ev["args"] = {
          {"sample", e.sample}, {"bytes", graph.SendBytes(e.node)}, {"dst_chip", e.dst_chip}};
    }
    events.push_back(std::move(ev));
  }
  json doc = {{"displayTimeUnit", "ns"}, {"traceEvents", std::move(events)}};
  return doc.dump() + "\n";
}

}  // namespace mcmpart::hw
