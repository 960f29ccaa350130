package prism

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"prism.dev/prism/clients/go/prismpb"
)

// Domain is the google.rpc.ErrorInfo domain of every error Prism returns.
const Domain = "prism.dev"

// Error is a failed call, with the details Prism attaches to its gRPC status.
//
// It keeps the status, so status.Code(err) and status.FromError(err) work on it.
type Error struct {
	// Code is the gRPC status code.
	Code codes.Code
	// Reason is the google.rpc.ErrorInfo reason; ERROR_REASON_UNSPECIFIED when
	// the status carries none (e.g. a call cancelled on the client side).
	Reason prismpb.ErrorReason
	// Domain is the ErrorInfo domain ("prism.dev"), empty without ErrorInfo.
	Domain string
	// Message is the status message.
	Message string
	// FieldViolations are the google.rpc.BadRequest details of INVALID_ARGUMENT.
	FieldViolations []FieldViolation
	// RetryDelay is the google.rpc.RetryInfo delay of RESOURCE_EXHAUSTED; zero
	// when the status carries none.
	RetryDelay time.Duration

	status *status.Status
	// cause is the call's context error when the call ended because its
	// context was cancelled or its deadline passed; nil otherwise.
	cause error
}

// FieldViolation names a request field and what is wrong with it.
type FieldViolation struct {
	Field       string
	Description string
}

// Error reads "prism: <code> (<reason>): <message>"; Prism's messages already
// name the violated fields.
func (e *Error) Error() string {
	if e.Reason == prismpb.ErrorReason_ERROR_REASON_UNSPECIFIED {
		return fmt.Sprintf("prism: %s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("prism: %s (%s): %s", e.Code, e.Reason, e.Message)
}

// GRPCStatus returns the status the server sent.
func (e *Error) GRPCStatus() *status.Status {
	return e.status
}

// Unwrap returns the context's error (context.Canceled or
// context.DeadlineExceeded) when the call ended because its context did, so
// that errors.Is(err, context.Canceled) tells a call the caller cancelled from
// one the server ended; nil otherwise.
func (e *Error) Unwrap() error {
	return e.cause
}

// AsError returns err as an *Error when it is a gRPC status error (or wraps
// one), reading the ErrorInfo, BadRequest and RetryInfo details.
func AsError(err error) (*Error, bool) {
	if err == nil {
		return nil, false
	}
	var perr *Error
	if errors.As(err, &perr) {
		return perr, true
	}
	// The status itself, not status.FromError's, whose message would include the wrapping text.
	var grpcErr interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &grpcErr) {
		return nil, false
	}
	return fromStatus(grpcErr.GRPCStatus()), true
}

func fromStatus(st *status.Status) *Error {
	e := &Error{Code: st.Code(), Message: st.Message(), status: st}
	for _, detail := range st.Details() {
		switch d := detail.(type) {
		case *errdetails.ErrorInfo:
			e.Domain = d.GetDomain()
			e.Reason = prismpb.ErrorReason(prismpb.ErrorReason_value[d.GetReason()])
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				e.FieldViolations = append(e.FieldViolations, FieldViolation{Field: v.GetField(), Description: v.GetDescription()})
			}
		case *errdetails.RetryInfo:
			e.RetryDelay = d.GetRetryDelay().AsDuration()
		}
	}
	return e
}

// awaitDeadline waits for ctx's own deadline when it is at most a moment
// away: the server enforces the deadline this process sent it and may answer
// DeadlineExceeded just before the local timer fires.
func awaitDeadline(ctx context.Context) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return
	}
	wait := time.Until(deadline) + 100*time.Millisecond
	if wait > time.Second {
		return
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-timer.C:
	}
}

// callError turns the error of a gRPC call made with ctx into an *Error, which
// wraps ctx's error when the call ended with it; other errors pass through.
func callError(ctx context.Context, err error) error {
	perr, ok := AsError(err)
	if !ok {
		return err
	}
	if perr.Code == codes.DeadlineExceeded && ctx.Err() == nil {
		awaitDeadline(ctx)
	}
	if ctxErr := ctx.Err(); ctxErr != nil && (perr.Code == codes.Canceled || perr.Code == codes.DeadlineExceeded) {
		perr.cause = ctxErr
	}
	return perr
}
