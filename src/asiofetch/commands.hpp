// The engine's commands: what a caller's thread asks the engine thread to do.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>
#include <variant>

#include "asiofetch/batch.hpp"
#include "asiofetch/mailbox.hpp"
#include "asiofetch/pool.hpp"
#include "asiofetch/semaphore.hpp"
#include "asiofetch/transfer.hpp"

namespace asiofetch {

// Built on the caller's thread, moved through the Inbox, consumed on the engine thread.
namespace cmd {
struct Submit { std::unique_ptr<Transfer> t; };  // null once the engine has taken it
struct Cancel { RequestId id; };
struct Resume { RequestId id; };
struct Resolved { RequestId id; std::vector<std::string> entries; };
struct OpenSession { SessionId id; PoolConfig cfg; std::shared_ptr<PoolCounters> counters; };
struct CloseSession { SessionId id; };
struct ClearDns { SessionId id; };  // TCPConnector.clear_dns_cache()
struct SubmitBatch { std::unique_ptr<Batch> b; };  // null once the engine has taken it
struct FeedBatch { RequestId id; std::deque<BatchItem> items; bool close; };
struct SemOp {
  enum class Kind : std::uint8_t { Acquire, Release, Cancel } kind;
  std::shared_ptr<Semaphore> sem;
  RequestId id;
  std::shared_ptr<Mailbox> mailbox;
};
}  // namespace cmd

using Command = std::variant<cmd::Submit, cmd::Cancel, cmd::Resume, cmd::Resolved, cmd::OpenSession, cmd::CloseSession, cmd::ClearDns,
                             cmd::SubmitBatch, cmd::FeedBatch, cmd::SemOp>;

}  // namespace asiofetch
