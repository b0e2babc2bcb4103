package crawl

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrBlocked is returned (wrapped) when a request would connect to a
// private, loopback, link-local or otherwise non-public address and private
// targets were not allowed.
var ErrBlocked = errors.New("crawl: refusing to connect to a non-public address")

// nonPublic are ranges no website is served from that the standard
// library's predicates do not cover: shared address space (CGNAT),
// "this network", IETF protocol assignments, benchmarking, the reserved
// 240.0.0.0/4 (broadcast included), deprecated IPv6 site-local, the
// discard prefix and local-use NAT64.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("fec0::/10"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
}

// Prefixes whose addresses carry an IPv4 address that a gateway or the
// host itself may turn into a connection to it: NAT64 (well-known prefix,
// last 32 bits), 6to4 (bits 16–47) and the deprecated IPv4-compatible
// form (last 32 bits).
var (
	nat64        = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour    = netip.MustParsePrefix("2002::/16")
	v4Compatible = netip.MustParsePrefix("::/96")
)

// IsPublic reports whether a is an address a crawler may connect to by
// default: not loopback, private (RFC 1918, fc00::/7), link-local,
// unspecified, multicast, shared (100.64.0.0/10), 0.0.0.0/8, reserved or
// benchmarking, and, for IPv6 addresses that embed an IPv4 address
// (NAT64, 6to4, IPv4-compatible), not embedding a non-public one.
func IsPublic(a netip.Addr) bool {
	a = a.Unmap()
	switch {
	case !a.IsValid(), a.IsLoopback(), a.IsPrivate(), a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast(),
		a.IsInterfaceLocalMulticast(), a.IsMulticast(), a.IsUnspecified():
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	if a.Is6() {
		b := a.As16()
		switch {
		case nat64.Contains(a), v4Compatible.Contains(a):
			return IsPublic(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(a):
			return IsPublic(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	return true
}

// LooseIPv4 reads host the way browsers do (the WHATWG URL standard):
// when its last label is a number, the host is an IPv4 address in one of
// the forms browsers accept — 2130706433, 0x7f.1, 0177.0.0.1, 127.1 — and
// numeric is true; a is then invalid if the number does not make an
// address. A host name gives numeric false.
func LooseIPv4(host string) (a netip.Addr, numeric bool) {
	parts := strings.Split(strings.TrimSuffix(host, "."), ".")
	last := parts[len(parts)-1]
	if last == "" {
		return netip.Addr{}, false
	}
	if _, ok := looseNumber(last); !ok {
		if strings.Trim(last, "0123456789") != "" {
			return netip.Addr{}, false
		}
	}
	if len(parts) > 4 {
		return netip.Addr{}, true
	}
	var n uint64
	for i, p := range parts {
		v, ok := looseNumber(p)
		if !ok {
			return netip.Addr{}, true
		}
		if i < len(parts)-1 {
			if v > 255 {
				return netip.Addr{}, true
			}
			n = n<<8 | v
			continue
		}
		rest := uint(8 * (5 - len(parts)))
		if v >= 1<<rest {
			return netip.Addr{}, true
		}
		n = n<<rest | v
	}
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

// looseNumber parses one label of a numeric host: 0x… hexadecimal, a
// leading 0 octal, otherwise decimal.
func looseNumber(s string) (uint64, bool) {
	base := 10
	switch {
	case len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X"):
		s, base = s[2:], 16
		if s == "" {
			return 0, true
		}
	case len(s) > 1 && s[0] == '0':
		s, base = s[1:], 8
	}
	if s == "" {
		return 0, false
	}
	v, err := strconv.ParseUint(s, base, 32)
	return v, err == nil
}

// guardControl checks the address actually being dialled, after DNS
// resolution, so a public name resolving to a private address is refused too.
func guardControl(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrBlocked, address)
	}
	if !IsPublic(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrBlocked, address)
	}
	return nil
}

// ClientOptions configure [NewClient].
type ClientOptions struct {
	Timeout      time.Duration  // whole request including body; default 15 s
	AllowPrivate bool           // allow loopback/private targets (tests, intranets)
	MaxConns     int            // idle connections kept per host; default 8
	RootCAs      *x509.CertPool // nil: system roots
	UserAgent    string
}

// Dialer returns a net.Dialer that refuses non-public addresses unless
// allowPrivate is set.
func Dialer(allowPrivate bool) *net.Dialer {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = guardControl
	}
	return d
}

// NewClient returns an HTTP client for inspection traffic: no environment
// proxy (the dial-time guard must see the real target), redirects not
// followed (callers follow them to record chains and detect loops), bounded
// timeouts.
func NewClient(o ClientOptions) *http.Client {
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 8
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           Dialer(o.AllowPrivate).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          4096,
		MaxIdleConnsPerHost:   o.MaxConns,
		IdleConnTimeout:       30 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: o.Timeout,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       &tls.Config{RootCAs: o.RootCAs, MinVersion: tls.VersionTLS10},
	}
	return &http.Client{
		Transport: tr,
		Timeout:   o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
