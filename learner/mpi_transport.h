// MPI implementation of actors::Transport; the only place that talks to MPI.
#pragma once

#include <memory>

#include "actors/transport.h"

namespace mcmpart::learner {

/// Initialises MPI (thread level FUNNELED) and returns the world transport. A program run
/// without mpirun is a world of size 1. MPI is finalised when the transport is destroyed.
std::unique_ptr<actors::Transport> InitMpiTransport(int* argc, char*** argv);

}  // namespace mcmpart::learner
