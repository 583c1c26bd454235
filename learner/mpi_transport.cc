// MPI transport: tagged point-to-point messages with non-blocking sends.
#include "learner/mpi_transport.h"

#include <deque>

#include <mpi.h>

namespace mcmpart::learner {
namespace {

using actors::Message;
using actors::MessageType;
using actors::Payload;

class MpiTransport final : public actors::Transport {
 public:
  MpiTransport() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  ~MpiTransport() override {
    Flush();
    MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void Send(int dest, MessageType type, Payload payload) override {
    static const std::vector<uint8_t> kEmpty;
    const std::vector<uint8_t>& data = payload ? *payload : kEmpty;
    Pending p;
    p.payload = std::move(payload);
    MPI_Isend(data.data(), static_cast<int>(data.size()), MPI_BYTE, dest, static_cast<int>(type),
              MPI_COMM_WORLD, &p.request);
    pending_.push_back(std::move(p));
    Reap();
  }

  Message Receive(int source) override {
    MPI_Status status;
    MPI_Probe(source < 0 ? MPI_ANY_SOURCE : source, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
    return Take(status);
  }

  bool TryReceive(Message* msg, int source) override {
    int flag = 0;
    MPI_Status status;
    MPI_Iprobe(source < 0 ? MPI_ANY_SOURCE : source, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status);
    Reap();
    if (!flag) return false;
    *msg = Take(status);
    return true;
  }

  void Flush() override {
    for (Pending& p : pending_) MPI_Wait(&p.request, MPI_STATUS_IGNORE);
    pending_.clear();
  }

 private:
  struct Pending {
    MPI_Request request = MPI_REQUEST_NULL;
    Payload payload;  // kept alive until the send completes
  };

  Message Take(const MPI_Status& status) {
    int count = 0;
    MPI_Get_count(&status, MPI_BYTE, &count);
    Message msg;
    msg.source = status.MPI_SOURCE;
    msg.type = static_cast<MessageType>(status.MPI_TAG);
    msg.payload.resize(count);
    MPI_Recv(msg.payload.data(), count, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    return msg;
  }

  // Drops completed sends, wherever they are in the queue (a slow receiver at the front must
  // not keep every later payload alive).
  void Reap() {
    for (auto it = pending_.begin(); it != pending_.end();) {
      int done = 0;
      MPI_Test(&it->request, &done, MPI_STATUS_IGNORE);
      it = done ? pending_.erase(it) : std::next(it);
    }
  }

  int rank_ = 0;
  int size_ = 1;
  std::deque<Pending> pending_;
};

}  // namespace

std::unique_ptr<actors::Transport> InitMpiTransport(int* argc, char*** argv) {
  int provided = 0;
  MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  return std::make_unique<MpiTransport>();
}

}  // namespace mcmpart::learner
