package httpapi

import (
	"context"
	"encoding"
	"log/slog"
	"net/http"
)

// Message is the JSON body that carries one binary protocol message: its
// canonical encoding (base64 in JSON).
type Message struct {
	Message []byte `json:"message"`
}

// MessagePtr is a pointer to a message type M.
type MessagePtr[M any] interface {
	*M
	encoding.BinaryUnmarshaler
}

// ReadMessage decodes r's body, a Message (strictly, as Decode; malformed
// wraps a bad body), and then its message into m.
func ReadMessage(w http.ResponseWriter, r *http.Request, m encoding.BinaryUnmarshaler, malformed error) error {
	var q Message
	if err := Decode(w, r, &q, malformed); err != nil {
		return err
	}
	return m.UnmarshalBinary(q.Message)
}

// Step returns the handler of one protocol step: read the request's
// message, call step, answer its result as a Message (200). Every error
// is answered by cs.Fail.
func Step[M any, P MessagePtr[M], R encoding.BinaryMarshaler](cs Codes, log *slog.Logger, malformed error, step func(context.Context, P) (R, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var m M
		err := ReadMessage(w, r, P(&m), malformed)
		var out R
		if err == nil {
			out, err = step(r.Context(), &m)
		}
		var enc []byte
		if err == nil {
			enc, err = out.MarshalBinary()
		}
		if err != nil {
			cs.Fail(log, w, r, err)
			return
		}
		Reply(w, http.StatusOK, Message{Message: enc})
	}
}

// Deliver is Step for a message with no answer: 200 and an empty object.
func Deliver[M any, P MessagePtr[M]](cs Codes, log *slog.Logger, malformed error, step func(context.Context, P) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var m M
		err := ReadMessage(w, r, P(&m), malformed)
		if err == nil {
			err = step(r.Context(), &m)
		}
		if err != nil {
			cs.Fail(log, w, r, err)
			return
		}
		Reply(w, http.StatusOK, struct{}{})
	}
}

// Exchange posts in, encoded, as a Message to path and decodes the
// answer's message into out (nil: the answer is not read).
func (c *Client) Exchange(ctx context.Context, path string, in encoding.BinaryMarshaler, out encoding.BinaryUnmarshaler) error {
	enc, err := in.MarshalBinary()
	if err != nil {
		return err
	}
	if out == nil {
		return c.Do(ctx, http.MethodPost, path, Message{Message: enc}, nil)
	}
	var r Message
	if err := c.Do(ctx, http.MethodPost, path, Message{Message: enc}, &r); err != nil {
		return err
	}
	return out.UnmarshalBinary(r.Message)
}
