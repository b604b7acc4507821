package attest

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/google/go-tpm/tpm2/transport"
	"github.com/google/go-tpm/tpm2/transport/linuxtpm"
	"github.com/google/go-tpm/tpm2/transport/simulator"
)

// OpenPath opens the TPM named by path: "" or "simulator" for the embedded
// go-tpm-tools simulator (one per process; a second open waits for the
// first to close), "tcp://host:port" or "unix:///path" for swtpm's raw TPM
// socket, or a device path such as /dev/tpmrm0.
func OpenPath(path string) (*Device, error) {
	var t transport.TPMCloser
	var err error
	switch {
	case path == "" || path == "simulator":
		t, err = simulator.OpenSimulator()
	case strings.HasPrefix(path, "tcp://"):
		t, err = openStream("tcp", strings.TrimPrefix(path, "tcp://"))
	case strings.HasPrefix(path, "unix://"):
		t, err = openStream("unix", strings.TrimPrefix(path, "unix://"))
	default:
		t, err = linuxtpm.Open(path)
	}
	if err != nil {
		return nil, fmt.Errorf("attest: opening TPM %q: %w", path, err)
	}
	d, err := Open(t)
	if err != nil {
		t.Close()
		return nil, err
	}
	return d, nil
}

// rawTCP speaks plain TPM commands over a stream socket (swtpm's
// `--server type=tcp` or `type=unixio`): a command out, a response back, sized by its header.
type rawTCP struct{ c net.Conn }

func openStream(network, addr string) (transport.TPMCloser, error) {
	c, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &rawTCP{c: c}, nil
}

const maxResponse = 1 << 20

func (r *rawTCP) Send(cmd []byte) ([]byte, error) {
	if _, err := r.c.Write(cmd); err != nil {
		return nil, err
	}
	hdr := make([]byte, 10) // tag(2) ‖ size(4) ‖ code(4)
	if _, err := io.ReadFull(r.c, hdr); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[2:6])
	if n < 10 || n > maxResponse {
		return nil, fmt.Errorf("attest: TPM response of %d bytes", n)
	}
	rsp := make([]byte, n)
	copy(rsp, hdr)
	_, err := io.ReadFull(r.c, rsp[10:])
	return rsp, err
}

func (r *rawTCP) Close() error { return r.c.Close() }
