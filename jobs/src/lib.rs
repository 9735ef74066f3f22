//! Jicai jobs: the scheduler decides *when* and *as of which date* a domain operation runs.
//! The settlement sweep, deadline watch, retention and mail jobs arrive with those capabilities.
