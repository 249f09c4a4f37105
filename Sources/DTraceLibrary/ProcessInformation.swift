// DTraceLibrary/ProcessInformation: psinfo_t and lwpsinfo_t — a process and a thread as
// DTrace describes them (procfs.d) — their translators from the kernel's struct
// task_struct (read through its BTF), and `curpsinfo` and `curlwpsinfo`. Members follow
// Oracle's DTrace for Linux: one lwp per process, the state letters of its mapping of
// the task's __state, zero for what Linux does not have (tasks, projects, zones).

public struct ProcessInformation: LibraryDeclarations {
    public init() {}
    public var source: String {
        """
        typedef id_t taskid_t;
        typedef id_t dprojid_t;
        typedef id_t poolid_t;

        typedef struct timestruc {
        	time_t tv_sec;
        	long tv_nsec;
        } timestruc_t;

        typedef struct lwpsinfo {
        	int pr_flag;
        	int pr_lwpid;
        	uintptr_t pr_addr;
        	uintptr_t pr_wchan;
        	char pr_stype;
        	char pr_state;
        	char pr_sname;
        	char pr_nice;
        	short pr_syscall;
        	char pr_oldpri;
        	char pr_cpu;
        	int pr_pri;
        	ushort_t pr_pctcpu;
        	ushort_t pr_pad;
        	timestruc_t pr_start;
        	timestruc_t pr_time;
        	char pr_clname[8];
        	char pr_name[16];
        	processorid_t pr_onpro;
        	processorid_t pr_bindpro;
        	psetid_t pr_bindpset;
        	int pr_lgrp;
        	int pr_filler[4];
        } lwpsinfo_t;

        typedef struct psinfo {
        	int pr_flag;
        	int pr_nlwp;
        	pid_t pr_pid;
        	pid_t pr_ppid;
        	pid_t pr_pgid;
        	pid_t pr_sid;
        	uid_t pr_uid;
        	uid_t pr_euid;
        	uid_t pr_gid;
        	uid_t pr_egid;
        	uintptr_t pr_addr;
        	size_t pr_size;
        	size_t pr_rssize;
        	size_t pr_pad1;
        	struct tty_struct *pr_ttydev;
        	ushort_t pr_pctcpu;
        	ushort_t pr_pctmem;
        	timestruc_t pr_start;
        	timestruc_t pr_time;
        	timestruc_t pr_ctime;
        	char pr_fname[16];
        	char pr_psargs[80];
        	int pr_wstat;
        	int pr_argc;
        	uintptr_t pr_argv;
        	uintptr_t pr_envp;
        	char pr_dmodel;
        	char pr_pad2[3];
        	taskid_t pr_taskid;
        	dprojid_t pr_projid;
        	int pr_nzomb;
        	poolid_t pr_poolid;
        	zoneid_t pr_zoneid;
        	id_t pr_contract;
        	int pr_filler[1];
        	lwpsinfo_t pr_lwp;
        } psinfo_t;

        typedef struct kernel_siginfo siginfo_t;

        inline int CLD_EXITED = 1;
        inline int CLD_KILLED = 2;
        inline int CLD_DUMPED = 3;
        inline int CLD_TRAPPED = 4;
        inline int CLD_STOPPED = 5;
        inline int CLD_CONTINUED = 6;

        inline char PR_MODEL_ILP32 = 1;
        inline char PR_MODEL_LP64 = 2;

        inline int PIDTYPE_PID = 0;
        inline int PIDTYPE_TGID = 1;
        inline int PIDTYPE_PGID = 2;
        inline int PIDTYPE_SID = 3;

        translator psinfo_t < struct task_struct *T > {
        	pr_nlwp = 1;
        	pr_pid = T->tgid;
        	pr_ppid = T->real_parent->tgid;
        	pr_pgid = T->signal->pids[PIDTYPE_PGID]->numbers[0].nr;
        	pr_sid = T->signal->pids[PIDTYPE_SID]->numbers[0].nr;
        	pr_uid = T->cred->uid.val;
        	pr_euid = T->cred->euid.val;
        	pr_gid = T->cred->gid.val;
        	pr_egid = T->cred->egid.val;
        	pr_addr = (uintptr_t)T;
        	pr_ttydev = T->signal->tty ? T->signal->tty : (struct tty_struct *)-1;
        	pr_fname = T->comm;
        	pr_psargs = T->mm == NULL || T != curthread ? stringof(T->comm) :
        	    __psargs(T->mm->arg_start, T->mm->arg_end - T->mm->arg_start);
        	pr_wstat = 0;
        	pr_argc = 0;
        	pr_dmodel = PR_MODEL_LP64;
        	pr_taskid = 0;
        	pr_projid = 0;
        	pr_nzomb = 0;
        	pr_poolid = 0;
        	pr_zoneid = 0;
        	pr_contract = 0;
        };

        inline int PR_STOPPED = 0x00000001;
        inline int PR_ISTOP = 0x00000002;
        inline int PR_DSTOP = 0x00000004;
        inline int PR_IDLE = 0x10000000;

        inline char SSLEEP = 1;
        inline char SRUN = 2;
        inline char SZOMB = 3;
        inline char SSTOP = 4;
        inline char SIDL = 5;
        inline char SONPROC = 6;
        inline char SWAIT = 7;

        inline long TASK_RUNNING = 0x0000;
        inline long TASK_INTERRUPTIBLE = 0x0001;
        inline long TASK_UNINTERRUPTIBLE = 0x0002;
        inline long __TASK_STOPPED = 0x0004;
        inline long __TASK_TRACED = 0x0008;
        inline long EXIT_DEAD = 0x0010;
        inline long EXIT_ZOMBIE = 0x0020;
        inline long TASK_PARKED = 0x0040;
        inline long TASK_DEAD = 0x0080;
        inline long TASK_WAKEKILL = 0x0100;
        inline long TASK_WAKING = 0x0200;

        translator lwpsinfo_t < struct task_struct *T > {
        	pr_flag = (T->__state & __TASK_STOPPED) ? PR_STOPPED : 0;
        	pr_lwpid = T->pid;
        	pr_addr = (uintptr_t)T;
        	pr_wchan = NULL;
        	pr_stype = 0;
        	pr_state = (T->__state & TASK_INTERRUPTIBLE) ? SSLEEP :
        		   (T->__state & TASK_UNINTERRUPTIBLE) ? SSLEEP :
        		   (T->__state & __TASK_STOPPED) ? SSTOP :
        		   (T->__state & __TASK_TRACED) ? SSTOP :
        		   (T->__state & EXIT_ZOMBIE) ? SZOMB :
        		   (T->__state & EXIT_DEAD) ? SZOMB :
        		   (T->__state & TASK_DEAD) ? SZOMB :
        		   (T->__state & TASK_WAKEKILL) ? SWAIT :
        		   (T->__state & TASK_WAKING) ? SWAIT : SRUN;
        	pr_sname = (T->__state & TASK_INTERRUPTIBLE) ? 'S' :
        		   (T->__state & TASK_UNINTERRUPTIBLE) ? 'S' :
        		   (T->__state & __TASK_STOPPED) ? 'T' :
        		   (T->__state & __TASK_TRACED) ? 'T' :
        		   (T->__state & EXIT_ZOMBIE) ? 'Z' :
        		   (T->__state & EXIT_DEAD) ? 'Z' :
        		   (T->__state & TASK_DEAD) ? 'Z' :
        		   (T->__state & TASK_WAKEKILL) ? 'W' :
        		   (T->__state & TASK_WAKING) ? 'W' : 'R';
        	pr_pri = T->prio;
        	pr_name = T->comm;
        	pr_onpro = T->thread_info.cpu;
        };

        inline psinfo_t *curpsinfo = xlate <psinfo_t *> (curthread);
        inline lwpsinfo_t *curlwpsinfo = xlate <lwpsinfo_t *> (curthread);
        """
    }
}
