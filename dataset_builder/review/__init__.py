"""Human expert review of machine translations (`globmed review export|import`)."""
