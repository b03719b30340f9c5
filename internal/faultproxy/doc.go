// Package faultproxy is a TCP proxy for fault-injection tests: it listens on
// 127.0.0.1 in front of a real server and, switched at run time, passes
// traffic through or plays one of the ways a server fails.
//
// The nouns: a Proxy listens on one address and forwards each accepted
// connection (a link) to its target; its Mode says what it does to them.
//
//   - Pass forwards bytes both ways unchanged.
//   - Refuse closes the listener, so new connections are refused by the
//     kernel (ECONNREFUSED, as from a stopped server), and resets every
//     open link (RST, as from a crashed one).
//   - Hang accepts connections but forwards nothing, on new and open links
//     alike, as a server stopped with SIGSTOP or a network that drops
//     packets. Leaving Hang releases what was held, as SIGCONT would.
//   - Delay holds every chunk read, in either direction, for a fixed time
//     before forwarding it: a slow server or network.
//   - Reset forwards at most k bytes from the server to the client on each
//     link (counted from when the mode was set), then resets the link: a
//     reply cut mid-frame.
//
// A Proxy keeps its address across modes (leaving Refuse listens again on
// the same port), so a client configured with it sees one server fail and
// recover. It is for tests on loopback; it makes no attempt at efficiency.
package faultproxy
