"""The reporter's pages: the report form, the receipt, her status page. They show
her case's deadlines too, so they live in the web face, above intake and deadlines."""
