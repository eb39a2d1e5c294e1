// src/core/systemd_notify.h: tells systemd how the service is doing (sd_notify(3)'s protocol,
// without linking libsystemd): a unit with Type=notify gets READY=1 once the server answers
// /readyz with 200 (the workers index built), STATUS= lines meanwhile, STOPPING=1 on shutdown.
// The protocol: one datagram to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or an
// abstract name written with a leading '@').
//
// Thread-safety: Notify may be called from any thread.
#pragma once

#include <string_view>

namespace lakehouse {

//! Sends `state` ("READY=1", "STATUS=building the workers index: 40%") to systemd; false
//! when not run by systemd with a notify socket ($NOTIFY_SOCKET unset) or the send failed.
bool NotifySystemd(std::string_view state);

}  // namespace lakehouse
