//! The permission rule, as a pure function so it can be read and tested in one place.

use crate::auth::Role;

/// What an action asks of the actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Change the experiment: run, stop, set statuses, edit its configuration or description.
    Act,
    /// Choose who collaborates on it.
    Share,
    /// Give it to another owner.
    Transfer,
}

/// How the actor stands to the experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Owner,
    Collaborator,
    Stranger,
}

/// Admins may do anything. Operators act on what they own or collaborate on, and owners
/// choose their collaborators; only admins hand an experiment to someone else. Viewers and
/// anonymous readers never change anything, whatever they own.
pub fn may(role: Option<Role>, relation: Relation, need: Need) -> bool {
    match (role, need) {
        (Some(Role::Admin), _) => true,
        (Some(Role::Operator), Need::Act) => relation != Relation::Stranger,
        (Some(Role::Operator), Need::Share) => relation == Relation::Owner,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_may_do_what() {
        use Need::*;
        use Relation::*;
        let (admin, operator, viewer) = (Some(Role::Admin), Some(Role::Operator), Some(Role::Viewer));
        for need in [Act, Share, Transfer] {
            assert!(may(admin, Stranger, need), "admins may {need:?} anything");
            assert!(!may(viewer, Owner, need), "viewers may not {need:?} even what they own");
            assert!(!may(None, Owner, need), "anonymous readers may not {need:?}");
            assert!(!may(operator, Stranger, need), "operators may not {need:?} others' experiments");
        }
        assert!(may(operator, Owner, Act) && may(operator, Owner, Share) && !may(operator, Owner, Transfer));
        assert!(may(operator, Collaborator, Act) && !may(operator, Collaborator, Share));
        assert!(!may(operator, Collaborator, Transfer));
    }
}
