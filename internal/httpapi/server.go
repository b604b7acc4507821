package httpapi

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"
)

// ServerConfig is how a trustbank server treats its clients. A client is
// shed when it is slower than these limits: its connection is closed and
// its slot freed.
type ServerConfig struct {
	Addr string // listen address
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included: a body
	// dribbled in slower than that is cut off (ErrTimeout, 408).
	ReadTimeout time.Duration
	// WriteTimeout bounds a request from the end of its headers to the end
	// of its answer: a client that does not read its answers is
	// disconnected and the queued answer dropped.
	WriteTimeout time.Duration
	// IdleTimeout bounds how long a keep-alive connection waits for its
	// next request.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's headers (net/http answers 431).
	MaxHeaderBytes int
	// MaxConns caps open connections; one over the cap is closed as soon
	// as it is accepted.
	MaxConns int
	// ShutdownTimeout bounds the graceful shutdown when the server stops;
	// connections still open after it are closed.
	ShutdownTimeout time.Duration
}

// ErrConfig: a ServerConfig that Validate refuses.
var ErrConfig = errors.New("httpapi: server configuration")

// DefaultServerConfig returns the defaults for an API of small JSON
// messages, listening on addr.
func DefaultServerConfig(addr string) ServerConfig {
	return ServerConfig{
		Addr:              addr,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second, // MaxBody at 35 KB/s
		WriteTimeout:      60 * time.Second, // includes the handler: an operator's check of a large book
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    16 << 10,
		MaxConns:          1024,
		ShutdownTimeout:   10 * time.Second,
	}
}

// Validate refuses a configuration that would leave a limit off.
func (c ServerConfig) Validate() error {
	switch {
	case c.Addr == "":
		return fmt.Errorf("%w: no listen address", ErrConfig)
	case c.ReadHeaderTimeout <= 0 || c.ReadTimeout <= 0 || c.WriteTimeout <= 0 || c.IdleTimeout <= 0:
		return fmt.Errorf("%w: every timeout must be positive (read-header %s, read %s, write %s, idle %s)", ErrConfig,
			c.ReadHeaderTimeout, c.ReadTimeout, c.WriteTimeout, c.IdleTimeout)
	case c.ReadHeaderTimeout > c.ReadTimeout:
		return fmt.Errorf("%w: read-header timeout %s exceeds the read timeout %s", ErrConfig, c.ReadHeaderTimeout, c.ReadTimeout)
	case c.MaxHeaderBytes < 1<<10 || c.MaxHeaderBytes > 1<<20:
		return fmt.Errorf("%w: max header bytes %d not within 1 KiB to 1 MiB", ErrConfig, c.MaxHeaderBytes)
	case c.MaxConns < 1:
		return fmt.Errorf("%w: max connections %d", ErrConfig, c.MaxConns)
	case c.ShutdownTimeout < 0:
		return fmt.Errorf("%w: negative shutdown timeout", ErrConfig)
	}
	return nil
}

// AddFlags registers the configuration's flags on fs, with c's values as
// their defaults, so every server command offers the same.
func (c *ServerConfig) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address")
	fs.DurationVar(&c.ReadHeaderTimeout, "read-header-timeout", c.ReadHeaderTimeout, "time allowed for a request's headers")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", c.ReadTimeout, "time allowed for a whole request, body included")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", c.WriteTimeout, "time allowed from a request's headers to the end of its answer")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", c.IdleTimeout, "time a keep-alive connection may wait for its next request")
	fs.IntVar(&c.MaxHeaderBytes, "max-header-bytes", c.MaxHeaderBytes, "largest request headers")
	fs.IntVar(&c.MaxConns, "max-conns", c.MaxConns, "most open connections; more are closed when accepted")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "time allowed for a graceful shutdown")
}

// NewServer returns an http.Server for h with c's timeouts and header
// limit. Serve it on a listener from Listen, which enforces MaxConns.
func NewServer(c ServerConfig, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              c.Addr,
		Handler:           h,
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		ReadTimeout:       c.ReadTimeout,
		WriteTimeout:      c.WriteTimeout,
		IdleTimeout:       c.IdleTimeout,
		MaxHeaderBytes:    c.MaxHeaderBytes,
	}
}

// Listen listens on c.Addr (TCP) with at most c.MaxConns connections open.
func Listen(c ServerConfig) (net.Listener, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return nil, err
	}
	return LimitListener(ln, c.MaxConns), nil
}

// Serve serves h on ln with c's limits until ctx ends, then shuts down
// gracefully within c.ShutdownTimeout and closes what is left.
func Serve(ctx context.Context, c ServerConfig, ln net.Listener, h http.Handler) error {
	srv := NewServer(c, h)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		srv.Close()
		if !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
	}
	return nil
}
