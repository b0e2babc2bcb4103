package axe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// guardProxy is the browser's only way out: Chromium is started with it as
// its proxy for every scheme and host (loopback included), and it dials
// with a guard that checks the address actually connected to, after DNS
// resolution. So every navigation, redirect, subresource and connection a
// page makes is held to the same rule as the crawler.
type guardProxy struct {
	allow func(netip.AddrPort) bool
	ln    net.Listener
	srv   *http.Server
	tr    *http.Transport

	mu      sync.Mutex
	blocked []string // refused targets, host:port, in order, unique
}

var errRefused = errors.New("axe: refusing to connect to a non-public address")

func newGuardProxy(allow func(netip.AddrPort) bool) (*guardProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &guardProxy{allow: allow, ln: ln}
	p.tr = &http.Transport{
		Proxy:                 nil,
		DialContext:           p.dial,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       30 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

// URL is the proxy's address for Chromium's --proxy-server.
func (p *guardProxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *guardProxy) Close() {
	p.srv.Close()
	p.tr.CloseIdleConnections()
}

// Blocked returns the targets refused so far.
func (p *guardProxy) Blocked() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.blocked...)
}

func (p *guardProxy) refuse(target string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, b := range p.blocked {
		if b == target {
			return
		}
	}
	if len(p.blocked) < 100 {
		p.blocked = append(p.blocked, target)
	}
}

func (p *guardProxy) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: 10 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !p.allow(ap) {
			return errRefused
		}
		return nil
	}}
	c, err := d.DialContext(ctx, network, addr)
	if err != nil && errors.Is(err, errRefused) {
		p.refuse(addr)
	}
	return c, err
}

var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func (p *guardProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		p.tunnel(w, r)
		return
	}
	if r.URL.Scheme != "http" || r.URL.Host == "" {
		http.Error(w, "only proxy requests", http.StatusBadRequest)
		return
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	resp, err := p.tr.RoundTrip(out)
	if err != nil {
		abort(w)
		return
	}
	defer resp.Body.Close()
	for _, h := range hopHeaders {
		resp.Header.Del(h)
	}
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// tunnel serves CONNECT (HTTPS and WebSocket over TLS) through the guard.
func (p *guardProxy) tunnel(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	up, err := p.dial(ctx, "tcp", r.Host)
	cancel()
	if err != nil {
		abort(w)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		up.Close()
		http.Error(w, "no hijacking", http.StatusInternalServerError)
		return
	}
	down, buf, err := hj.Hijack()
	if err != nil {
		up.Close()
		return
	}
	fmt.Fprint(down, "HTTP/1.1 200 Connection Established\r\n\r\n")
	if n := buf.Reader.Buffered(); n > 0 {
		b, _ := buf.Reader.Peek(n)
		up.Write(b)
	}
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, down); up.Close(); done <- struct{}{} }()
	go func() { io.Copy(down, up); down.Close(); done <- struct{}{} }()
	<-done
	<-done
}

// abort closes the browser's connection without an answer, so that a
// refused or failed target is a load error in the browser rather than a
// page of the proxy's that could be mistaken for the site.
func abort(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			c.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}
