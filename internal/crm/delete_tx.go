package crm

import (
	"context"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// DeleteTx deletes a record inside tx and records <entity>_deleted, as Delete does in a transaction of its
// own; a record other records still point at is not deleted (*InUseError). The demo's removal deletes its
// leads and companies together with its workflows in one transaction.
func (s *Service) DeleteTx(ctx context.Context, tx *store.Tx, e Entity, id, by string) error {
	k, err := entityKind(e)
	if err != nil {
		return err
	}
	return k.remove(s.op(ctx, tx, by), id)
}
