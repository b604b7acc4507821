package card

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"trustbank/shield/internal/vpcd"
)

// DefaultVPCD is where Debian's vsmartcard-vpcd driver listens for the
// card of its first reader slot.
const DefaultVPCD = "127.0.0.1:35963"

// ServeVPCD connects c to the vpcd reader driver at addr and answers its
// frames until ctx ends or the connection drops: power off and reset
// clear the volatile state, get ATR returns ATR, an APDU is processed.
func ServeVPCD(ctx context.Context, addr string, c *Card) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	err = serveConn(conn, c)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func serveConn(conn io.ReadWriter, c *Card) error {
	for {
		p, err := vpcd.Read(conn)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		f, err := vpcd.ParseFrame(p)
		if err != nil {
			return err
		}
		out, err := answer(f, c)
		if err != nil {
			return err
		}
		if out != nil {
			if err := vpcd.Write(conn, out); err != nil {
				return err
			}
		}
	}
}

func answer(f *vpcd.Frame, c *Card) ([]byte, error) {
	if !f.IsControl {
		return c.Transmit(f.APDU)
	}
	switch f.Control {
	case vpcd.PowerOff, vpcd.PowerOn, vpcd.Reset:
		c.Reset()
		return nil, nil
	case vpcd.GetATR:
		return append([]byte(nil), ATR...), nil
	}
	return nil, fmt.Errorf("%w: control %d", vpcd.ErrFrame, f.Control)
}
