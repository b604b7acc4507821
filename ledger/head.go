package ledger

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"trustbank/internal/atomicfile"
)

// The bank's head file (Config.HeadFile) keeps its latest signed checkpoint
// as a note outside the database. A database restored from an older copy,
// or rows deleted from its end, leave a book that is whole but shorter than
// what the bank signed and answered; at open the book is compared with the
// head, and a rollback or fork stops booking for good (this process):
// booking on would sign a second, different entry at an index whose first
// one holders already keep, which is a fork. The operator restores the
// newer database.

// headFile writes the latest checkpoint after each commit, latest first: a
// writer goroutine takes what the committer offers, dropping checkpoints
// superseded before it got to them. It may lag the book (a crash between
// commit and write), never lead it.
type headFile struct {
	path string
	note func(*Checkpoint) ([]byte, error)
	ch   chan *Checkpoint
	done chan struct{}

	mu      sync.Mutex
	lastErr error     // the last write's failure, nil after a success
	since   time.Time // when the writes began to fail
}

func startHead(path string, note func(*Checkpoint) ([]byte, error)) *headFile {
	if path == "" {
		return nil
	}
	h := &headFile{path: path, note: note, ch: make(chan *Checkpoint, 1), done: make(chan struct{})}
	go h.run()
	return h
}

// offer hands cp to the writer; only the committer calls it.
func (h *headFile) offer(cp *Checkpoint) {
	if h == nil || cp == nil {
		return
	}
	select {
	case h.ch <- cp:
	default:
		select {
		case <-h.ch:
		default:
		}
		h.ch <- cp
	}
}

func (h *headFile) run() {
	defer close(h.done)
	for cp := range h.ch {
		b, err := h.note(cp)
		if err == nil {
			err = atomicfile.Write(h.path, b)
		}
		// The head only ever lags; the next commit tries again. Until then
		// a rollback past it would go unseen, so Check reports the failure.
		h.mu.Lock()
		switch {
		case err == nil:
			h.lastErr = nil
		case h.lastErr == nil:
			h.lastErr, h.since = err, time.Now()
		default:
			h.lastErr = err
		}
		h.mu.Unlock()
	}
}

// failure says why the head file has not been written since when, or "".
func (h *headFile) failure() string {
	if h == nil {
		return ""
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.lastErr == nil {
		return ""
	}
	return fmt.Sprintf("head file not written since %s (%v): a rollback of the database past it would not be seen", h.since.UTC().Format(time.RFC3339), h.lastErr)
}

func (h *headFile) close() {
	if h == nil {
		return
	}
	close(h.ch)
	<-h.done
}

// noteVerifier is the bank's own key as a note verifier.
func (b *Bank) noteVerifier() (note.Verifier, error) {
	return NoteVerifier(b.keys.Scheme(), b.cfg.Name, b.keys.PublicKey())
}

// CheckpointNote is cp as a signed note (c2sp.org/tlog-checkpoint).
func (b *Bank) CheckpointNote(cp *Checkpoint) ([]byte, error) {
	v, err := b.noteVerifier()
	if err != nil {
		return nil, err
	}
	return cp.SignedNote(v)
}

// NoteVerifier is the bank's key as a verifier of its checkpoint notes.
func (b *Bank) NoteVerifier() note.Verifier {
	v, err := b.noteVerifier()
	if err != nil {
		panic(err) // the key was checked when the bank opened
	}
	return v
}

// readHead reads the head file: nil if it does not exist; a file that
// cannot be read or does not verify is an error, never a first use.
func readHead(path string, bank note.Verifier) (*Checkpoint, error) {
	if path == "" {
		return nil, nil
	}
	msg, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: head file: %w", err)
	}
	cp, err := OpenCheckpoint(msg, bank)
	if err != nil {
		return nil, fmt.Errorf("ledger: head file %s: %w", path, err)
	}
	return cp, nil
}

// checkHead compares the book, of b.next entries, with the head file: a
// shorter book is a rollback, a book whose checkpoint of the head's size
// has another root a fork. Either sets b.split.
func (b *Bank) checkHead(ctx context.Context) error {
	v, err := b.noteVerifier()
	if err != nil {
		return err
	}
	head, err := readHead(b.cfg.HeadFile, v)
	if err != nil || head == nil {
		return err
	}
	book := b.cp
	if book == nil {
		book = &Checkpoint{Bank: b.cfg.Name}
	}
	if head.Size > book.Size {
		b.split = rollback(head, book)
		return nil
	}
	same, err := b.store.checkpoint(ctx, head.Size)
	if errors.Is(err, ErrNotFound) {
		b.split = fork(head, book, fmt.Sprintf("the book has no checkpoint of size %d, which the bank signed", head.Size))
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := CompareSizes(head, same); err != nil {
		b.split = err.(*SplitViewError)
	}
	return nil
}

// migrateHead re-signs a legacy latest checkpoint in the note form, so
// that it can be served as a note; older legacy checkpoints stay as they
// are (they still verify).
func (b *Bank) migrateHead(ctx context.Context) error {
	if b.cp == nil || !b.cp.legacy || b.split != nil {
		return nil
	}
	cp := &Checkpoint{Bank: b.cp.Bank, Size: b.cp.Size, Root: b.cp.Root, Time: b.cp.Time}
	var err error
	if cp.Sig, err = b.signer.Sign(cp.signed()); err != nil {
		return err
	}
	enc, err := cp.MarshalBinary()
	if err != nil {
		return err
	}
	if _, err := b.store.db.ExecContext(ctx, b.store.q("UPDATE ledger_checkpoints SET cp = ? WHERE size = ?"), enc, int64(cp.Size)); err != nil {
		return fmt.Errorf("ledger: migrating checkpoint %d to the note form: %w", cp.Size, err)
	}
	b.cp = cp
	return nil
}

// Split is the rollback or fork found when the bank opened, or nil.
func (b *Bank) Split() *SplitViewError { return b.split }
