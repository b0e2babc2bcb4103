package crawl

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrBlocked is returned (wrapped) when a request would connect to a
// private, loopback, link-local or otherwise non-public address and private
// targets were not allowed.
var ErrBlocked = errors.New("crawl: refusing to connect to a non-public address")

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// IsPublic reports whether a is an address a crawler may connect to by
// default: not loopback, private (RFC 1918, fc00::/7), link-local,
// unspecified, multicast, shared (100.64.0.0/10) or 0.0.0.0/8.
func IsPublic(a netip.Addr) bool {
	a = a.Unmap()
	switch {
	case !a.IsValid(), a.IsLoopback(), a.IsPrivate(), a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast(),
		a.IsInterfaceLocalMulticast(), a.IsMulticast(), a.IsUnspecified():
		return false
	case a.Is4() && (cgnat.Contains(a) || a.As4()[0] == 0):
		return false
	}
	return true
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
