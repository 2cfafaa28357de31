package sqlstore

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/kerror"
)

func newJobs(n int) []*job {
	jobs := make([]*job, n)
	for i := range jobs {
		jobs[i] = &job{done: make(chan struct{})}
	}
	return jobs
}

func answered(j *job) bool {
	select {
	case <-j.done:
		return true
	default:
		return false
	}
}

// A committed group is answered only once a flush that began after its
// commit returned; one flush covers every group committed before it began.
func TestFlusherAnswersAfterFlush(t *testing.T) {
	began := make(chan struct{})
	release := make(chan struct{})
	flushes := 0
	f := newFlusher(func() error {
		flushes++
		began <- struct{}{}
		<-release
		return nil
	}, slog.Default())
	first := newJobs(2)
	f.add(first)
	<-began // the first flush runs for first
	if answered(first[0]) || answered(first[1]) {
		t.Fatal("a job was answered before its flush returned")
	}
	second, third := newJobs(3), newJobs(1)
	f.add(second) // committed while the first flush runs
	f.add(third)
	release <- struct{}{}
	for _, j := range first {
		<-j.done
	}
	<-began // one more flush, for second and third together
	if answered(second[0]) || answered(third[0]) {
		t.Fatal("a job committed during a flush was answered by it")
	}
	release <- struct{}{}
	for _, j := range append(second, third...) {
		<-j.done
		if j.err != nil {
			t.Fatalf("job error: %v", j.err)
		}
	}
	f.close()
	if flushes != 2 {
		t.Fatalf("%d flushes for three groups committed in two rounds, want 2", flushes)
	}
}

// A failed flush fails the writes it covered, keeps the answers of writes
// that failed on their own, and fails every later write without flushing
// again.
func TestFlusherFailureStopsWrites(t *testing.T) {
	boom := errors.New("EIO")
	calls := 0
	f := newFlusher(func() error { calls++; return boom }, slog.Default())
	jobs := newJobs(2)
	own := kerror.New("services.storage.document_already_exists")
	jobs[1].err = own
	f.add(jobs)
	for _, j := range jobs {
		<-j.done
	}
	if !errors.Is(jobs[0].err, errFlushFailed) || !errors.Is(jobs[0].err, boom) {
		t.Fatalf("write covered by the failed flush: %v", jobs[0].err)
	}
	if jobs[1].err != own {
		t.Fatalf("write that failed on its own: %v, want %v", jobs[1].err, own)
	}
	if !errors.Is(f.err(), errFlushFailed) {
		t.Fatalf("err() after a failed flush: %v", f.err())
	}
	later := newJobs(1)
	f.add(later)
	select {
	case <-later[0].done:
	case <-time.After(10 * time.Second):
		t.Fatal("a write after the failed flush was never answered")
	}
	if !errors.Is(later[0].err, errFlushFailed) {
		t.Fatalf("write after the failed flush: %v", later[0].err)
	}
	f.close()
	if calls != 1 {
		t.Fatalf("%d flushes, want 1: nothing is flushed after a failure", calls)
	}
}
