package webcheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"zhihui/internal/i18n"
	"zhihui/internal/webcheck/crawl"
)

// Resolver looks up addresses; *net.Resolver implements it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// checkTLS connects to host:port over TLS and verifies the chain for host.
// When verification fails it connects again without verifying, to report
// the certificate's subject and dates as evidence.
func checkTLS(ctx context.Context, host, port string, allowPrivate bool, roots *x509.CertPool, now time.Time) TLSInfo {
	info := TLSInfo{URL: "https://" + net.JoinHostPort(host, port) + "/", Checked: now.UTC()}
	if port == "443" {
		info.URL = "https://" + host + "/"
	}
	d := crawl.Dialer(allowPrivate)
	d.Timeout = 10 * time.Second
	dial := func(verify bool) (*tls.ConnectionState, error, bool) {
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		raw, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
		if err != nil {
			return nil, err, false
		}
		defer raw.Close()
		c := tls.Client(raw, &tls.Config{ServerName: host, RootCAs: roots, InsecureSkipVerify: !verify, MinVersion: tls.VersionTLS10})
		if err := c.HandshakeContext(ctx); err != nil {
			return nil, err, true
		}
		st := c.ConnectionState()
		return &st, nil, true
	}
	st, err, connected := dial(true)
	if !connected {
		info.Err = err.Error()
		return info
	}
	info.Available = true
	if err != nil {
		info.Err = err.Error()
		var cv *tls.CertificateVerificationError
		if !errors.As(err, &cv) {
			if st2, err2, _ := dial(false); err2 == nil {
				st = st2
			} else {
				info.Available = false
				return info
			}
		} else if len(cv.UnverifiedCertificates) > 0 {
			st = &tls.ConnectionState{PeerCertificates: cv.UnverifiedCertificates}
		}
	} else {
		info.Valid = true
		info.Version = tls.VersionName(st.Version)
	}
	if st != nil && len(st.PeerCertificates) > 0 {
		leaf := st.PeerCertificates[0]
		info.Subject = leaf.Subject.String()
		info.Issuer = leaf.Issuer.String()
		info.NotAfter = leaf.NotAfter.UTC()
		info.DaysLeft = int(leaf.NotAfter.Sub(now).Hours() / 24)
	}
	return info
}

// hstsOf fetches u and returns its Strict-Transport-Security header.
func hstsOf(ctx context.Context, client *http.Client, u string) string {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return ""
	}
	resp, err := client.Do(req)
	if err != nil {
		return ""
	}
	resp.Body.Close()
	return resp.Header.Get("Strict-Transport-Security")
}

// checkIPv6 looks up AAAA records for host and tries to connect over IPv6.
// When this machine has no IPv6 route the outcome is IPv6Unknown, never a
// failure of the site.
func checkIPv6(ctx context.Context, r Resolver, host, port string, allowPrivate bool) IPv6Info {
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		if a.Is4() || a.Is4In6() {
			return IPv6Info{Status: IPv6NoAAAA, Reason: i18n.Text{Zh: "IPv4 地址", En: "IPv4 literal address"}}
		}
		addrs = []netip.Addr{a}
	} else {
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		as, err := r.LookupNetIP(lctx, "ip6", host)
		var dnsErr *net.DNSError
		switch {
		case err == nil:
			for _, a := range as {
				if a.Is6() && !a.Is4In6() {
					addrs = append(addrs, a)
				}
			}
		case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		default:
			return IPv6Info{Status: IPv6Unknown, Reason: i18n.Text{Zh: "DNS 查询失败：" + err.Error(), En: "DNS lookup failed: " + err.Error()}}
		}
	}
	if len(addrs) == 0 {
		return IPv6Info{Status: IPv6NoAAAA, Reason: i18n.Text{Zh: "无AAAA记录", En: "no AAAA record"}}
	}
	info := IPv6Info{}
	for _, a := range addrs {
		info.Addrs = append(info.Addrs, a.String())
	}
	target := net.JoinHostPort(addrs[0].String(), port)
	// A UDP "connect" sends nothing but fails without a route.
	if c, err := net.Dial("udp6", target); err != nil {
		info.Status = IPv6Unknown
		info.Reason = i18n.Text{Zh: "本机无IPv6路由，无法检测：" + err.Error(), En: "no IPv6 route from this machine: " + err.Error()}
		return info
	} else {
		c.Close()
	}
	d := crawl.Dialer(allowPrivate)
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := d.DialContext(dctx, "tcp6", target)
	if err != nil {
		info.Status = IPv6Unreachable
		info.Reason = i18n.Text{Zh: err.Error(), En: err.Error()}
		return info
	}
	c.Close()
	info.Status = IPv6OK
	return info
}

// securityHeaders lists the headers checked on the homepage response.
var securityHeaders = []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"}

func checkHeaders(h map[string]string) []HeaderCheck {
	out := make([]HeaderCheck, 0, len(securityHeaders))
	for _, name := range securityHeaders {
		v := h[name]
		present := v != ""
		if name == "X-Frame-Options" && !present && strings.Contains(h["Content-Security-Policy"], "frame-ancestors") {
			present, v = true, "(CSP frame-ancestors)"
		}
		if name == "X-Content-Type-Options" && !strings.EqualFold(strings.TrimSpace(v), "nosniff") {
			present = false
		}
		out = append(out, HeaderCheck{Name: name, Value: v, Present: present})
	}
	return out
}
