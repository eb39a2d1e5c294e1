// src/server/web_console.h: the coordinator's console, served by the binary itself.
//
// One page (console/index.html) answers every screen's deep link, so a link can be shared:
//   /  /ui  /ui/orders  /ui/orders/{order_id}  /ui/workers/{worker_id}  /ui/search
//   /ui/data  /ui/operations
// and its scripts, styles and charting library (uPlot) are /ui/assets/{name}, all compiled
// into the binary (server/console_assets.h): no CDN, works offline. Every answer carries an
// ETag (a reload revalidates with a 304), is gzip'd when the browser accepts it, and the
// page is sent with a Content-Security-Policy that allows only this origin's scripts, styles
// and API calls, and no framing (docs/CONSOLE.md).
// The page and assets are public (they hold no data); every API call the page makes needs
// the key the coordinator enters (kept in the tab's sessionStorage) when auth is on.
#pragma once

#include "gateway/http.h"

namespace lakehouse {

//! Registers the page's deep links and /ui/assets/{name} with `options` (public, inline).
void AddConsoleRoutes(Router& router, const RouteOptions& options);

}  // namespace lakehouse
