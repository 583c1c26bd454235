// The ask → score → tell step shared by the actor loop and local searches.
#include "actors/search/strategy.h"

namespace mcmpart::actors::search {

std::vector<EpisodeRecord> AskScoreTell(SearchStrategy& strategy,
                                        const std::vector<Environment*>& envs, int n, int rank) {
  std::vector<Candidate> candidates = strategy.Ask(n);
  std::vector<EpisodeRecord> records;
  records.reserve(candidates.size());
  for (Candidate& c : candidates) {
    EpisodeRecord r = std::move(c.record);
    r.rank = rank;
    r.SetOutcome(envs.at(r.graph)->Score(r.proposal, c.repair_weights));
    records.push_back(std::move(r));
  }
  if (!records.empty()) strategy.Tell(records);
  return records;
}

}  // namespace mcmpart::actors::search
